// any_of and relations through real servers on every transport: streams
// checked on their first message and pinned after it, and an engine that fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { Code, callOnce, connectTo, type Protocol } from "../support/clients.js";
import { headersFor } from "../support/principals.js";
import { memoryChecker } from "../support/relations.js";
import { newObserved, type Observed, type Running, type ServerOptions, startConnectServer, startGrpcServer } from "../support/servers.js";
import { facts, workloadAuthz } from "../support/workload-relations.js";

const transports: Record<string, { protocol: Protocol; start: (seen: Observed, extra?: ServerOptions) => Promise<Running> }> = {
  "connect-node / Connect": { protocol: "connect", start: startConnectServer },
  "connect-node / gRPC": { protocol: "grpc", start: startConnectServer },
  "connect-node / gRPC-web": { protocol: "grpc-web", start: startConnectServer },
  "grpc-js / gRPC": { protocol: "grpc", start: startGrpcServer },
};

for (const [name, { protocol, start }] of Object.entries(transports)) {
  describe(`${name}: relations on streams`, () => {
    const seen = newObserved();
    const engine = memoryChecker(facts);
    let server: Running;
    let client: ReturnType<typeof connectTo>;
    beforeAll(async () => {
      server = await start(seen, { tables: [workloadAuthz], guard: { relations: engine.checker } });
      client = connectTo(server.url, protocol);
    });
    afterAll(async () => {
      client.close();
      await server.close();
    });

    for (const kind of ["clientStream", "bidi"] as const) {
      it(`${kind}: checked on the first message, pinned after it, asked once`, async () => {
        const trips = engine.seen.roundTrips;
        const messages = seen.messages.length;
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("user"), ["sb-1", "sb-1", "sb-1"])).toBe("ok");
        expect(engine.seen.roundTrips).toBe(trips + 1);
        expect(seen.messages.slice(messages)).toEqual(["sb-1", "sb-1", "sb-1"]);
      });

      it(`${kind}: a later message naming another resource ends the call, even one the caller may write`, async () => {
        const messages = seen.messages.length;
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("user"), ["sb-1", "sb-2", "sb-1"])).toBe(
          Code.PermissionDenied,
        );
        expect(seen.messages.slice(messages)).toEqual(["sb-1"]);
        expect(seen.events.at(-1)).toMatchObject({ reason: "binding_changed", allowed: false });
      });

      it(`${kind}: a first message the engine denies never starts the handler`, async () => {
        const invocations = seen.invocations.length;
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("user"), ["sb-3", "sb-1"])).toBe(Code.PermissionDenied);
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("user"), [])).toBe(Code.PermissionDenied);
        expect(seen.invocations.length).toBe(invocations);
      });
    }

    it("unary any_of: each alternative admits over the wire", async () => {
      expect(await callOnce(client.transport, WorkloadService, "unary", headersFor("sandbox"), ["sb-own"])).toBe("ok");
      expect(await callOnce(client.transport, WorkloadService, "unary", headersFor("user"), ["sb-2"])).toBe("ok");
      expect(await callOnce(client.transport, WorkloadService, "unary", headersFor("superUser"), ["sb-3"])).toBe("ok");
      expect(await callOnce(client.transport, WorkloadService, "unary", headersFor("user"), ["sb-3"])).toBe(Code.PermissionDenied);
    });
  });

  describe(`${name}: an engine that fails`, () => {
    it("is Unavailable on streams and unary alike", async () => {
      const seen = newObserved();
      const server = await start(seen, { tables: [workloadAuthz], guard: { relations: memoryChecker(facts, { fail: true }).checker } });
      const client = connectTo(server.url, protocol);
      try {
        for (const kind of ["unary", "clientStream", "bidi"] as const) {
          expect(await callOnce(client.transport, WorkloadService, kind, headersFor("user"), ["sb-1"])).toBe(Code.Unavailable);
        }
        expect(seen.invocations).toEqual([]);
      } finally {
        client.close();
        await server.close();
      }
    });
  });
}
