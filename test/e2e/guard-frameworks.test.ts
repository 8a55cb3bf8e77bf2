// The same interceptor on expressConnectMiddleware (HTTP/1.1) and fastifyConnectPlugin
// (HTTP/2): one install, the same decisions.
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import { expressConnectMiddleware } from "@connectrpc/connect-express";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import { createConnectTransport } from "@connectrpc/connect-node";
import express from "express";
import { fastify } from "fastify";
import { describe, expect, it } from "vitest";
import { createAuthzGuard } from "../gen/authz_registry.js";
import { ClosedService, PublicService, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { callKinds, callOnce, connectTo } from "../support/clients.js";
import { authenticate, headersFor } from "../support/principals.js";
import { newObserved, routes } from "../support/servers.js";

describe("expressConnectMiddleware", () => {
  it("denies and admits like connect-node, over HTTP/1.1", async () => {
    const seen = newObserved();
    const guard = createAuthzGuard({ authenticate });
    const app = express();
    app.use(expressConnectMiddleware({ routes: routes(seen), interceptors: [guard.connect] }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const transport = createConnectTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, httpVersion: "1.1" });
    try {
      for (const kind of ["unary", "serverStream"] as const) {
        expect(await callOnce(transport, PublicService, kind, {}, ["x"])).toBe("ok");
        expect(await callOnce(transport, UserService, kind, {}, ["x"])).toBe(Code.Unauthenticated);
        expect(await callOnce(transport, UserService, kind, headersFor("user"), ["x"])).toBe("ok");
        expect(await callOnce(transport, WorkloadService, kind, headersFor("sandbox"), ["sb-other"])).toBe(Code.PermissionDenied);
        expect(await callOnce(transport, ClosedService, kind, headersFor("superUser"), ["x"])).toBe(Code.PermissionDenied);
      }
      expect(seen.messages).toEqual(["x", "x", "x", "x"]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("fastifyConnectPlugin", () => {
  it("denies and admits like connect-node, every call kind over HTTP/2", async () => {
    const seen = newObserved();
    const guard = createAuthzGuard({ authenticate });
    const app = fastify({ http2: true });
    await app.register(fastifyConnectPlugin, { routes: routes(seen), interceptors: [guard.connect] });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const client = connectTo(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, "connect");
    try {
      for (const kind of callKinds) {
        expect(await callOnce(client.transport, UserService, kind, {}, ["x"])).toBe(Code.Unauthenticated);
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("sandbox"), ["sb-own"])).toBe("ok");
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("superUser"), ["sb-own"])).toBe(Code.PermissionDenied);
      }
      expect(await callOnce(client.transport, WorkloadService, "bidi", headersFor("sandbox"), ["sb-own", "sb-other"])).toBe(
        Code.PermissionDenied,
      );
    } finally {
      client.close();
      await app.close();
    }
  });
});
