// protoauthz/otel through a guarded Connect server, read back with the
// OpenTelemetry SDK's in-memory exporters.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createAuthzTelemetry } from "protoauthz/otel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthzGuard } from "../gen/authz_registry.js";
import { ClosedService, PublicService, UserService } from "../gen/guardtest/v1/guard_pb.js";
import { callKinds, callOnce, connectTo } from "../support/clients.js";
import { authenticate, headersFor } from "../support/principals.js";
import { newObserved, routes } from "../support/servers.js";

describe("protoauthz/otel", () => {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] }).getTracer("test");
  const contextManager = new AsyncLocalStorageContextManager();
  const audited: string[] = [];
  let server: http2.Http2Server;
  let client: ReturnType<typeof connectTo>;

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    const telemetry = createAuthzTelemetry({ meterProvider, audit: (e) => audited.push(e.reason) });
    const guard = createAuthzGuard({ authenticate: telemetry.authenticate(authenticate), audit: telemetry.audit });
    // A server span around each call, as an RPC instrumentation would open it.
    const span: Interceptor = (next) => (req) => tracer.startActiveSpan(req.url, (s) => next(req).finally(() => s.end()));
    server = http2.createServer(connectNodeAdapter({ routes: routes(newObserved()), interceptors: [span, guard.connect] }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = connectTo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "connect");
  });
  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await meterProvider.shutdown();
    context.disable();
  });

  async function metric(name: string) {
    await reader.forceFlush();
    const all =
      metricExporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    return all.find((m) => m.descriptor.name === name)?.dataPoints ?? [];
  }

  it("counts every decision by procedure, outcome, reason and principal kind, with no subject or token", async () => {
    const transport = client.transport;
    for (const kind of callKinds) {
      expect(await callOnce(transport, UserService, kind, headersFor("user"), ["x"])).toBe("ok");
      await callOnce(transport, UserService, kind, {}, ["x"]);
      await callOnce(transport, UserService, kind, headersFor("badToken"), ["x"]);
      await callOnce(transport, ClosedService, kind, headersFor("superUser"), ["x"]);
      await callOnce(transport, PublicService, kind, {}, ["x"]);
    }
    const points = await metric("protoauthz.decisions");
    const rows = points.map((p) => ({ ...p.attributes, count: p.value }));
    expect(rows).toContainEqual({
      "protoauthz.procedure": "/guardtest.v1.UserService/Unary",
      "protoauthz.outcome": "allowed",
      "protoauthz.reason": "authorized",
      "protoauthz.principal.kind": "user",
      count: 1,
    });
    expect(rows).toContainEqual({
      "protoauthz.procedure": "/guardtest.v1.UserService/Bidi",
      "protoauthz.outcome": "denied",
      "protoauthz.reason": "invalid_credentials",
      "protoauthz.principal.kind": "anonymous",
      count: 1,
    });
    expect(rows).toContainEqual({
      "protoauthz.procedure": "/guardtest.v1.ClosedService/ServerStream",
      "protoauthz.outcome": "denied",
      "protoauthz.reason": "rule_denies",
      "protoauthz.principal.kind": "anonymous",
      count: 1,
    });
    expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(20);
    // Only these four labels, ever: no subject ("u-1"), no token.
    for (const point of points) expect(Object.keys(point.attributes).sort()).toEqual(labels);
    expect(JSON.stringify(points)).not.toMatch(/u-1|root|Bearer/);
    // The hook chained behind it saw every event.
    expect(audited).toHaveLength(20);
  });

  it("times authentication, by outcome", async () => {
    const points = (await metric("protoauthz.authentication.duration")) as DataPoint<Histogram>[];
    const byOutcome = (outcome: string) =>
      points.filter((p) => p.attributes["protoauthz.authentication.outcome"] === outcome).reduce((n, p) => n + p.value.count, 0);
    // Deny rules never authenticate; public calls without credentials are anonymous.
    expect(byOutcome("principal")).toBe(4);
    expect(byOutcome("anonymous")).toBe(8);
    expect(byOutcome("invalid_credentials")).toBe(4);
    expect(points.every((p) => (p.value.min ?? -1) >= 0)).toBe(true);
  });

  it("annotates the active span of the call", async () => {
    const spans = spanExporter.getFinishedSpans();
    const unary = spans.filter((s) => s.name.endsWith("/guardtest.v1.UserService/Unary"));
    expect(unary.map((s) => s.attributes)).toContainEqual({
      "protoauthz.allowed": true,
      "protoauthz.enforced": true,
      "protoauthz.reason": "authorized",
      "protoauthz.principal.kind": "user",
      "protoauthz.access": "authenticated",
    });
    expect(unary.map((s) => s.attributes["protoauthz.reason"])).toEqual(["authorized", "no_credentials", "invalid_credentials"]);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toMatch(/u-1|Bearer/);
  });
});

const labels = ["protoauthz.outcome", "protoauthz.principal.kind", "protoauthz.procedure", "protoauthz.reason"];
