// Issue 13 through real servers on every transport: streams whose messages
// decide the call, authentication deadlines, audit sinks that fail, and
// malformed :authority headers.
import { spawnSync } from "node:child_process";
import * as http2 from "node:http2";
import { join } from "node:path";
import type { AuthnRequest } from "protoauthz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthzPrincipal } from "../gen/authz_registry.js";
import { PublicService, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { Code, callOnce, connectTo, type Protocol } from "../support/clients.js";
import { authenticate, headersFor } from "../support/principals.js";
import { newObserved, type Observed, type Running, type ServerOptions, startConnectServer, startGrpcServer } from "../support/servers.js";

const transports: Record<string, { protocol: Protocol; start: (seen: Observed, extra?: ServerOptions) => Promise<Running> }> = {
  "connect-node / Connect": { protocol: "connect", start: startConnectServer },
  "connect-node / gRPC": { protocol: "grpc", start: startConnectServer },
  "connect-node / gRPC-web": { protocol: "grpc-web", start: startConnectServer },
  "grpc-js / gRPC": { protocol: "grpc", start: startGrpcServer },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers like the token table, `delayMs` late; counts the answers it gave. */
function slowAuthenticate(delayMs: number) {
  const counter = { answered: 0 };
  const authenticate_ = async (request: AuthnRequest): Promise<AuthzPrincipal | undefined> => {
    await sleep(delayMs);
    counter.answered++;
    return authenticate(request);
  };
  return { authenticate: authenticate_, counter };
}

for (const [name, { protocol, start }] of Object.entries(transports)) {
  describe(`${name}: streams the request decides`, () => {
    const seen = newObserved();
    let server: Running;
    let client: ReturnType<typeof connectTo>;
    beforeAll(async () => {
      server = await start(seen);
      client = connectTo(server.url, protocol);
    });
    afterAll(async () => {
      client.close();
      await server.close();
    });

    for (const kind of ["clientStream", "bidi"] as const) {
      it(`${kind}: no message, no handler: PermissionDenied (message_missing)`, async () => {
        const invocations = seen.invocations.length;
        seen.events.length = 0;
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("sandbox"), [])).toBe(Code.PermissionDenied);
        expect(seen.invocations.length).toBe(invocations);
        expect(seen.events.map((e) => e.reason)).toEqual(["message_missing"]);
      });

      it(`${kind}: a rule without bindings still admits an empty stream`, async () => {
        const invocations = seen.invocations.length;
        expect(await callOnce(client.transport, UserService, kind, headersFor("user"), [])).toBe("ok");
        expect(seen.invocations.length).toBe(invocations + 1);
      });

      it(`${kind}: the handler starts once the first message passed`, async () => {
        const before = seen.invocations.length;
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("sandbox"), ["sb-own", "sb-own"])).toBe("ok");
        expect(seen.invocations.length).toBe(before + 1);
      });
    }
  });

  describe(`${name}: authentication has a deadline`, () => {
    it("an authenticator that never settles: Unavailable, audited as authenticator_timeout", async () => {
      const seen = newObserved();
      const server = await start(seen, { authenticate: () => new Promise(() => {}), guard: { authenticateTimeoutMs: 50 } });
      const client = connectTo(server.url, protocol);
      try {
        for (const kind of ["unary", "bidi"] as const) {
          expect(await callOnce(client.transport, PublicService, kind, headersFor("user"), ["x"])).toBe(Code.Unavailable);
        }
        expect(seen.invocations).toEqual([]);
        expect(seen.events.map((e) => [e.reason, e.code])).toEqual([
          ["authenticator_timeout", "unavailable"],
          ["authenticator_timeout", "unavailable"],
        ]);
      } finally {
        client.close();
        await server.close();
      }
    });

    it("a late answer is ignored", async () => {
      const seen = newObserved();
      const slow = slowAuthenticate(150);
      const server = await start(seen, { authenticate: slow.authenticate, guard: { authenticateTimeoutMs: 40 } });
      const client = connectTo(server.url, protocol);
      try {
        expect(await callOnce(client.transport, UserService, "unary", headersFor("user"), ["x"])).toBe(Code.Unavailable);
        await sleep(250);
        expect(slow.counter.answered).toBe(1);
        expect(seen.invocations).toEqual([]);
        expect(seen.events.map((e) => e.reason)).toEqual(["authenticator_timeout"]);
      } finally {
        client.close();
        await server.close();
      }
    });

    it("an answer within the deadline is used", async () => {
      const seen = newObserved();
      const server = await start(seen, { authenticate: slowAuthenticate(20).authenticate, guard: { authenticateTimeoutMs: 2000 } });
      const client = connectTo(server.url, protocol);
      try {
        expect(await callOnce(client.transport, UserService, "unary", headersFor("user"), ["x"])).toBe("ok");
      } finally {
        client.close();
        await server.close();
      }
    });
  });

  describe(`${name}: audit sinks that fail`, () => {
    it("an async audit hook that rejects, or one that throws, changes nothing", async () => {
      for (const audit of [
        async () => {
          throw new Error("log shipper down");
        },
        () => {
          throw new Error("log shipper down");
        },
      ]) {
        const seen = newObserved();
        const server = await start(seen, { guard: { audit } });
        const client = connectTo(server.url, protocol);
        try {
          expect(await callOnce(client.transport, UserService, "unary", headersFor("user"), ["x"])).toBe("ok");
          expect(await callOnce(client.transport, UserService, "unary", headersFor("sandbox"), ["x"])).toBe(Code.PermissionDenied);
          await sleep(10); // a rejection would surface as an unhandled error here
        } finally {
          client.close();
          await server.close();
        }
      }
    });
  });
}

describe("connect-node: a malformed :authority", () => {
  const seen = newObserved();
  let server: Running;
  beforeAll(async () => {
    server = await startConnectServer(seen);
  });
  afterAll(async () => {
    await server.close();
  });

  /** One raw HTTP/2 request to a served method, with the given :authority. */
  const send = (authority: string) =>
    new Promise<number>((resolve) => {
      const session = http2.connect(`http://127.0.0.1:${server.port}`);
      session.on("error", () => resolve(-1));
      const stream = session.request({
        ":method": "POST",
        ":path": "/guardtest.v1.PublicService/Unary",
        ":authority": authority,
        "content-type": "application/proto",
      });
      let status = -1;
      stream.on("response", (headers) => {
        status = Number(headers[":status"]);
      });
      stream.on("error", () => {});
      stream.on("close", () => {
        session.close();
        resolve(status);
      });
      stream.resume();
      stream.end();
    });

  it.each(["[::1", "x:99999", "a%", "host:port"])("%s is answered 400 and the server keeps serving", async (authority) => {
    expect(await send(authority)).toBe(400);
    expect(await send(`127.0.0.1:${server.port}`)).toBe(200);
    expect(seen.invocations.length).toBeGreaterThan(0);
  });

  it("without the wrapper, connect-node still dies of one (upstream; if this fails, the README note can go)", () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../support/unguarded-authority.ts")], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(child.status).not.toBe(0);
    expect(child.stderr).toMatch(/Invalid URL/);
  });
});

describe("grpc-js: a malformed :authority", () => {
  it("is no threat: the server keeps serving", async () => {
    const seen = newObserved();
    const server = await startGrpcServer(seen);
    const client = connectTo(server.url, "grpc");
    try {
      await new Promise<void>((resolve) => {
        const session = http2.connect(`http://127.0.0.1:${server.port}`);
        session.on("error", () => resolve());
        const stream = session.request({
          ":method": "POST",
          ":path": "/guardtest.v1.PublicService/Unary",
          ":authority": "[::1",
          "content-type": "application/grpc",
          te: "trailers",
        });
        stream.on("error", () => {});
        stream.on("close", () => {
          session.close();
          resolve();
        });
        stream.resume();
        stream.end();
      });
      expect(await callOnce(client.transport, PublicService, "unary", {}, ["x"])).toBe("ok");
    } finally {
      client.close();
      await server.close();
    }
  });
});
