// The documented Connect wiring, `{ routes, ...guard.connectOptions }`, is the
// safe one: through real servers a repeated Authorization header is refused,
// whichever token comes first. An interceptor installed without the raw
// header list says so once, naming the fix.
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { expressConnectMiddleware } from "@connectrpc/connect-express";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import express from "express";
import fc from "fast-check";
import { fastify } from "fastify";
import type { AuthzEvent } from "protoauthz";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { type AuthzGuard, createAuthzGuard } from "../gen/authz_registry.js";
import { UserService } from "../gen/guardtest/v1/guard_pb.js";
import { authenticate } from "../support/principals.js";
import { rawH1Unary } from "../support/raw-h1.js";
import { rawH2Request } from "../support/raw-h2.js";
import { newObserved, routes } from "../support/servers.js";

const path = "/guardtest.v1.UserService/Unary";
const body = JSON.stringify({ sandboxId: "x", text: "m" });
const member = "Bearer user";
const admin = "Bearer superUser";

interface Started {
  readonly port: number;
  close(): Promise<void>;
}
type Start = (guard: AuthzGuard) => Promise<Started>;

const listen = async (server: http.Server | http2.Http2Server): Promise<Started> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
};

/** Each server exactly as the docs wire it. */
const http1: Record<string, Start> = {
  "connect-node": (guard) => listen(http.createServer(connectNodeAdapter({ routes: routes(newObserved()), ...guard.connectOptions }))),
  express: (guard) =>
    listen(http.createServer(express().use(expressConnectMiddleware({ routes: routes(newObserved()), ...guard.connectOptions })))),
  fastify: async (guard) => {
    const app = fastify();
    await app.register(fastifyConnectPlugin, { routes: routes(newObserved()), ...guard.connectOptions });
    await app.listen({ host: "127.0.0.1", port: 0 });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  },
};
const http2Servers: Record<string, Start> = {
  "connect-node": (guard) => listen(http2.createServer(connectNodeAdapter({ routes: routes(newObserved()), ...guard.connectOptions }))),
  fastify: async (guard) => {
    const app = fastify({ http2: true });
    await app.register(fastifyConnectPlugin, { routes: routes(newObserved()), ...guard.connectOptions });
    await app.listen({ host: "127.0.0.1", port: 0 });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  },
};

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

const guarded = (events: AuthzEvent[]) => createAuthzGuard({ authenticate, audit: (e) => events.push(e) });
const rawHeaderWarnings = () => warn.mock.calls.filter(([message]) => String(message).includes("raw header list"));

describe.each(Object.entries(http1))("{ routes, ...guard.connectOptions } on %s over HTTP/1.1", (_name, start) => {
  it("refuses two Authorization headers whichever comes first, and does not warn", async () => {
    const events: AuthzEvent[] = [];
    const server = await start(guarded(events));
    try {
      expect(await rawH1Unary(server.port, path, [["authorization", member]], body)).toBe(200);
      expect(
        await rawH1Unary(
          server.port,
          path,
          [
            ["authorization", member],
            ["Authorization", admin],
          ],
          body,
        ),
      ).toBe(401);
      expect(
        await rawH1Unary(
          server.port,
          path,
          [
            ["Authorization", admin],
            ["authorization", member],
          ],
          body,
        ),
      ).toBe(401);
      expect(events.map((e) => e.reason)).toEqual(["authorized", "invalid_credentials", "invalid_credentials"]);
      expect(rawHeaderWarnings()).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe.each(Object.entries(http2Servers))("{ routes, ...guard.connectOptions } on %s over HTTP/2", (_name, start) => {
  it("refuses two Authorization headers sent frame by frame", async () => {
    const events: AuthzEvent[] = [];
    const server = await start(guarded(events));
    const send = (values: string[], expected: number) =>
      rawH2Request(
        server.port,
        path,
        [["content-type", "application/json"], ...values.map((v) => ["authorization", v] as const)],
        body,
        () => events.length >= expected,
      );
    try {
      await send([member], 1);
      await send([member, admin], 2);
      await send([admin, member], 3);
      expect(events.map((e) => e.reason)).toEqual(["authorized", "invalid_credentials", "invalid_credentials"]);
    } finally {
      await server.close();
    }
  });
});

describe("any number of Authorization headers over the documented wiring (property)", () => {
  const runs = Math.max(20, Number(process.env.FUZZ_RUNS ?? 0) / 10);
  const value = fc.constantFrom(member, admin, "Bearer service", "Bearer sandbox");
  const name = fc.constantFrom("authorization", "Authorization", "AUTHORIZATION", "aUtHoRiZaTiOn");
  it("admits exactly one header and refuses two or more, whatever their names' case, order and tokens", async () => {
    const server = await http1["connect-node"]?.(guarded([]));
    if (server === undefined) throw new Error("no server");
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 4 }), async (headers) => {
          const status = await rawH1Unary(server.port, path, headers, body);
          // One member or superUser token is a user the rule admits; a service or sandbox token is a known caller it denies.
          const single = headers.length === 1 && (headers[0]?.[1] === member || headers[0]?.[1] === admin) ? 200 : 403;
          expect(status).toBe(headers.length === 1 ? single : 401);
        }),
        { numRuns: runs, seed: 20261203 },
      );
    } finally {
      await server.close();
    }
  });
});

describe("the interceptor without the raw header list", () => {
  it("warns once per guard, loudly, naming the fix", async () => {
    const events: AuthzEvent[] = [];
    const guard = guarded(events);
    const server = await listen(http.createServer(connectNodeAdapter({ routes: routes(newObserved()), interceptors: [guard.connect] })));
    try {
      for (let i = 0; i < 3; i++) expect(await rawH1Unary(server.port, path, [["authorization", member]], body)).toBe(200);
      expect(rawHeaderWarnings()).toHaveLength(1);
      const [message] = rawHeaderWarnings()[0] ?? [];
      expect(message).toMatch(/WARNING/);
      expect(message).toContain("two Authorization headers");
      expect(message).toContain("connectNodeAdapter({ routes, ...guard.connectOptions })");
      expect(message).toContain("guardContextValues");
    } finally {
      await server.close();
    }
  });

  it("stays quiet on the in-memory router transport, whose Headers keep every value", async () => {
    const guard = guarded([]);
    const client = createClient(UserService, createRouterTransport(routes(newObserved()), { router: { interceptors: [guard.connect] } }));
    await client.unary({ sandboxId: "x" }, { headers: { authorization: member } });
    const twice = new Headers([
      ["authorization", member],
      ["authorization", admin],
    ]);
    await expect(client.unary({ sandboxId: "x" }, { headers: twice })).rejects.toMatchObject({ code: 16 });
    expect(rawHeaderWarnings()).toEqual([]);
  });
});
