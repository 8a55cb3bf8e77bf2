// Audit events, dry run, Connect GET, and rules in code for services we do
// not own, through real servers.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, type ConnectRouter, createClient, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type AuthzEvent, defineServiceAuthz } from "protoauthz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthzGuard } from "../gen/authz_registry.js";
import { ClosedService, type PublicService, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { callOnce, connectTo } from "../support/clients.js";
import { healthService } from "../support/health.js";
import { authenticate, headersFor } from "../support/principals.js";
import { newObserved, routes, startConnectServer } from "../support/servers.js";

describe("audit events", () => {
  const seen = newObserved();
  let server: Awaited<ReturnType<typeof startConnectServer>>;
  let client: ReturnType<typeof connectTo>;
  beforeAll(async () => {
    server = await startConnectServer(seen);
    client = connectTo(server.url, "connect");
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it("one event per decision, naming procedure, caller, reason and rule origin", async () => {
    seen.events.length = 0;
    await callOnce(client.transport, UserService, "unary", headersFor("user"), ["x"]);
    await callOnce(client.transport, UserService, "unary", headersFor("sandbox"), ["x"]);
    await callOnce(client.transport, WorkloadService, "unary", headersFor("sandbox"), ["sb-other"]);
    await callOnce(client.transport, ClosedService, "unary", headersFor("user"), ["x"]);
    await callOnce(client.transport, UserService, "unary", headersFor("badToken"), ["x"]);
    expect(seen.events).toEqual([
      {
        procedure: "/guardtest.v1.UserService/Unary",
        access: "authenticated",
        source: "service_default",
        allowed: true,
        reason: "authorized",
        enforced: true,
        principal: { kind: "user", subject: "u-1" },
      },
      {
        procedure: "/guardtest.v1.UserService/Unary",
        access: "authenticated",
        source: "service_default",
        allowed: false,
        reason: "kind_not_allowed",
        code: "permission_denied",
        enforced: true,
        principal: { kind: "sandbox", subject: "sb-own" },
      },
      {
        procedure: "/guardtest.v1.WorkloadService/Unary",
        access: "authenticated",
        source: "service_default",
        allowed: false,
        reason: "binding_mismatch",
        code: "permission_denied",
        enforced: true,
        principal: { kind: "sandbox", subject: "sb-own" },
      },
      {
        procedure: "/guardtest.v1.ClosedService/Unary",
        access: "deny",
        source: "service_default",
        allowed: false,
        reason: "rule_denies",
        code: "permission_denied",
        enforced: true,
      },
      {
        procedure: "/guardtest.v1.UserService/Unary",
        access: "authenticated",
        source: "service_default",
        allowed: false,
        reason: "invalid_credentials",
        code: "unauthenticated",
        enforced: true,
        detail: "AuthenticationError: unknown token",
      },
    ]);
    expect(JSON.stringify(seen.events)).not.toMatch(/Bearer/);
  });

  it("denials tell the caller nothing about what was required", async () => {
    const messages = new Set<string>();
    for (const [service, caller, ids] of [
      [UserService, "userNoScope", ["x"]],
      [UserService, "userNoRole", ["x"]],
      [UserService, "sandbox", ["x"]],
      [WorkloadService, "sandbox", ["sb-other"]],
      [WorkloadService, "sandbox", ["sb-does-not-exist"]],
      [ClosedService, "user", ["x"]],
    ] as const) {
      const client2 = createClient(service as typeof PublicService, client.transport);
      try {
        await client2.unary({ sandboxId: ids[0] }, { headers: headersFor(caller) });
      } catch (error) {
        messages.add((error as Error).message);
      }
    }
    expect([...messages]).toEqual(["[permission_denied] permission denied"]);
  });
});

describe("dry run", () => {
  it("records would-be denials and lets the call through", async () => {
    const seen = newObserved();
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (text: string) => warnings.push(text);
    const server = await startConnectServer(seen, { dryRun: true });
    console.warn = warn;
    const client = connectTo(server.url, "connect");
    try {
      expect(warnings.join()).toMatch(/DRY RUN/);
      expect(await callOnce(client.transport, ClosedService, "unary", {}, ["x"])).toBe("ok");
      expect(await callOnce(client.transport, WorkloadService, "clientStream", headersFor("sandbox"), ["sb-own", "sb-other"])).toBe("ok");
      expect(seen.events.map((e) => [e.reason, e.enforced])).toEqual([
        ["rule_denies", false],
        ["authorized", true],
        ["binding_changed", false],
      ]);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe("Connect GET", () => {
  it("checks the message decoded from the query like any other", async () => {
    const seen = newObserved();
    const methods: string[] = [];
    const recordMethod: Interceptor = (next) => async (req) => {
      methods.push(req.requestMethod);
      return next(req);
    };
    const server = await startConnectServer(seen, { interceptors: [recordMethod] });
    const client = connectTo(server.url, "connect", { useHttpGet: true });
    const api = createClient(WorkloadService, client.transport);
    const outcome = async (caller: Parameters<typeof headersFor>[0], sandboxId: string) => {
      try {
        await api.get({ sandboxId }, { headers: headersFor(caller) });
        return "ok";
      } catch (error) {
        return Code[(error as { code: Code }).code];
      }
    };
    try {
      expect(await outcome("sandbox", "sb-own")).toBe("ok");
      expect(await outcome("sandbox", "sb-other")).toBe("PermissionDenied");
      expect(await outcome("anonymous", "sb-own")).toBe("Unauthenticated");
      expect(await outcome("superUser", "sb-own")).toBe("PermissionDenied");
      expect(methods).toEqual(["GET"]);
      expect(seen.messages).toEqual(["sb-own"]);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe("services we do not own", () => {
  const Health = healthService();

  async function serve(extraTables: Parameters<typeof createAuthzGuard>[1][], events: AuthzEvent[]) {
    const guard = createAuthzGuard({ authenticate, audit: (e) => events.push(e) }, ...extraTables);
    const handler = connectNodeAdapter({
      routes: (router: ConnectRouter) => {
        routes(newObserved())(router);
        router.service(Health, { check: () => ({ status: 1 }), async *watch() {} } as never);
      },
      interceptors: [guard.connect],
    });
    const server = http2.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = connectTo(url, "grpc");
    return {
      check: async () => {
        try {
          const health = createClient(Health, client.transport) as unknown as { check(req: object): Promise<unknown> };
          await health.check({});
          return "ok";
        } catch (error) {
          return Code[(error as { code: Code }).code];
        }
      },
      close: async () => {
        client.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it("a served method without a rule is denied and audited as no_rule", async () => {
    const events: AuthzEvent[] = [];
    const server = await serve([], events);
    expect(await server.check()).toBe("PermissionDenied");
    expect(events.at(-1)).toMatchObject({ procedure: "/grpc.health.v1.Health/Check", allowed: false, reason: "no_rule" });
    await server.close();
  });

  it("rules declared in code are enforced like generated ones", async () => {
    const events: AuthzEvent[] = [];
    const healthAuthz = defineServiceAuthz(Health, {
      check: { access: "public", reason: "load balancers probe without credentials" },
      watch: { access: "authenticated", principals: ["service"] },
    });
    const server = await serve([healthAuthz], events);
    expect(await server.check()).toBe("ok");
    expect(events.at(-1)).toMatchObject({ procedure: "/grpc.health.v1.Health/Check", allowed: true, source: "code" });
    await server.close();
  });
});
