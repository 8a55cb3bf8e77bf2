// Every credential is seen and claimed, through real servers: a repeated
// Authorization header (which Node collapses to its first value), and
// credentials no authenticator accepts riding along with a valid one.
// mTLS edges: mtls-edges.test.ts.
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code } from "@connectrpc/connect";
import { expressConnectMiddleware } from "@connectrpc/connect-express";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import express from "express";
import { fastify } from "fastify";
import { SignJWT } from "jose";
import { type AuthzEvent, authenticateWith } from "protoauthz";
import { createApiKeyAuthenticator, hashApiKey } from "protoauthz/apikey";
import { guardContextValues } from "protoauthz/connect";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzPrincipal, authzVocabulary, createAuthzGuard } from "../gen/authz_registry.js";
import { UserService } from "../gen/guardtest/v1/guard_pb.js";
import { callKinds, callOnce, connectTo } from "../support/clients.js";
import { rawH1Unary } from "../support/raw-h1.js";
import { rawH2Request } from "../support/raw-h2.js";
import { newObserved, routes, startConnectServer } from "../support/servers.js";

const secret = "hardening-test-secret-0123456789abcdef";
const users = () =>
  createJwtAuthenticator({
    name: "users",
    issuer: "https://login.test",
    audience: "gateway",
    algorithms: ["HS256"],
    key: { secret },
    principal: { kind: "user" as const, rolesClaim: "roles" },
    vocabulary: authzVocabulary,
  });
const token = (sub: string, roles: string[], iss = "https://login.test", key = secret) =>
  new SignJWT({ iss, aud: "gateway", sub, scope: "things.read", roles })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(key));

/** A Connect unary call written byte by byte, so headers can repeat. */
const rawUnary = (port: number, headers: readonly (readonly [string, string])[]) =>
  rawH1Unary(port, "/guardtest.v1.UserService/Unary", headers, JSON.stringify({ sandboxId: "x", text: "m" }));

interface Http1Server {
  readonly port: number;
  close(): Promise<void>;
}

type Start = (events: AuthzEvent[]) => Promise<Http1Server>;

const guardFor = (events: AuthzEvent[]) =>
  createAuthzGuard({ authenticate: authenticateWith<AuthzPrincipal>(users()), audit: (e) => events.push(e) });

const servers: Record<string, Start> = {
  "connect-node (HTTP/1.1)": async (events) => {
    const handler = connectNodeAdapter({
      routes: routes(newObserved()),
      interceptors: [guardFor(events).connect],
      contextValues: guardContextValues,
    });
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
  },
  express: async (events) => {
    const app = express();
    app.use(
      expressConnectMiddleware({
        routes: routes(newObserved()),
        interceptors: [guardFor(events).connect],
        contextValues: guardContextValues,
      }),
    );
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
  },
  fastify: async (events) => {
    const app = fastify();
    await app.register(fastifyConnectPlugin, {
      routes: routes(newObserved()),
      interceptors: [guardFor(events).connect],
      contextValues: guardContextValues,
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  },
};

describe.each(Object.entries(servers))("exactly one Authorization header: %s", (_name, start) => {
  it("admits one header and refuses a repeated one as Unauthenticated, whichever comes first", async () => {
    const events: AuthzEvent[] = [];
    const server = await start(events);
    try {
      const alice = `Bearer ${await token("alice", ["member"])}`;
      const admin = `Bearer ${await token("root", ["admin"])}`;
      expect(await rawUnary(server.port, [["authorization", alice]])).toBe(200);
      expect(
        await rawUnary(server.port, [
          ["authorization", alice],
          ["Authorization", admin],
        ]),
      ).toBe(401);
      expect(
        await rawUnary(server.port, [
          ["Authorization", admin],
          ["authorization", admin],
        ]),
      ).toBe(401);
      expect(events.map((e) => e.reason)).toEqual(["authorized", "invalid_credentials", "invalid_credentials"]);
    } finally {
      await server.close();
    }
  });
});

const http2Servers: Record<string, Start> = {
  "connect-node (HTTP/2)": async (events) => {
    const handler = connectNodeAdapter({
      routes: routes(newObserved()),
      interceptors: [guardFor(events).connect],
      contextValues: guardContextValues,
    });
    const server = http2.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
  },
  "fastify (HTTP/2)": async (events) => {
    const app = fastify({ http2: true });
    await app.register(fastifyConnectPlugin, {
      routes: routes(newObserved()),
      interceptors: [guardFor(events).connect],
      contextValues: guardContextValues,
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  },
};

describe.each(Object.entries(http2Servers))("exactly one Authorization header: %s", (_name, start) => {
  it("refuses a repeated header sent frame by frame", async () => {
    const events: AuthzEvent[] = [];
    const server = await start(events);
    const body = JSON.stringify({ sandboxId: "x", text: "m" });
    const send = (authorization: string[]) =>
      rawH2Request(
        server.port,
        "/guardtest.v1.UserService/Unary",
        [["content-type", "application/json"], ...authorization.map((value) => ["authorization", value] as const)],
        body,
        () => events.length > sent,
      );
    let sent = 0;
    try {
      const alice = `Bearer ${await token("alice", ["member"])}`;
      const admin = `Bearer ${await token("root", ["admin"])}`;
      await send([alice]);
      sent++;
      await send([alice, admin]);
      sent++;
      expect(events.map((e) => e.reason)).toEqual(["authorized", "invalid_credentials"]);
    } finally {
      await server.close();
    }
  });
});

describe("composition claims every credential (jwt, apikey)", () => {
  const seen = newObserved();
  let server: Awaited<ReturnType<typeof startConnectServer>>;
  let client: ReturnType<typeof connectTo>;
  const apiKey = "k-0123456789abcdef0123456789abcdef";
  beforeAll(async () => {
    const keys = createApiKeyAuthenticator<AuthzPrincipal>({
      header: "x-api-key",
      keys: [
        {
          sha256: hashApiKey(apiKey),
          principal: { kind: "user", subject: "key-user", scopes: ["things.read"], roles: ["member"], attributes: {} },
        },
      ],
    });
    server = await startConnectServer(seen, { authenticate: authenticateWith<AuthzPrincipal>(users(), keys) });
    client = connectTo(server.url, "connect");
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it("admits a valid API key alone, a valid JWT alone, and both (the first authenticator's principal)", async () => {
    const jwt = `Bearer ${await token("alice", ["member"])}`;
    for (const kind of callKinds) {
      expect(await callOnce(client.transport, UserService, kind, { "x-api-key": apiKey }, ["x"])).toBe("ok");
      expect(await callOnce(client.transport, UserService, kind, { authorization: jwt }, ["x"])).toBe("ok");
      expect(await callOnce(client.transport, UserService, kind, { authorization: jwt, "x-api-key": apiKey }, ["x"])).toBe("ok");
    }
    expect(seen.subjects.slice(-3)).toEqual(["key-user", "alice", "alice"]);
  });

  it("refuses a valid API key carrying an unclaimed Basic header or a JWT from an unknown issuer", async () => {
    const foreign = `Bearer ${await token("mallory", ["admin"], "https://elsewhere.test", "another-issuers-secret-0123456789ab")}`;
    const forged = `Bearer ${await token("alice", ["admin"], "https://login.test", "not-the-issuers-secret-0123456789ab")}`;
    for (const kind of callKinds) {
      for (const authorization of ["Basic YWxpY2U6c2VjcmV0", foreign, forged]) {
        const before = seen.invocations.length;
        expect(await callOnce(client.transport, UserService, kind, { authorization, "x-api-key": apiKey }, ["x"])).toBe(
          Code.Unauthenticated,
        );
        expect(seen.invocations.length).toBe(before);
      }
      expect(await callOnce(client.transport, UserService, kind, { authorization: "Bearer x.y.z", "x-api-key": "wrong" }, ["x"])).toBe(
        Code.Unauthenticated,
      );
    }
  });
});
