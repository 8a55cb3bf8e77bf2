// The session cookie through real servers: a Connect server (Connect, gRPC and
// gRPC-Web protocols) and a grpc-js server, every call shape. A valid cookie
// from the same origin is admitted; one that does not show its origin, an
// expired one, or one riding with a forged bearer token never reaches a handler.
import { SignJWT } from "jose";
import { authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { createSessionCookieAuthenticator } from "protoauthz/session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzPrincipal, authzVocabulary } from "../gen/authz_registry.js";
import { UserService } from "../gen/guardtest/v1/guard_pb.js";
import { Code, callKinds, callOnce, connectTo, type Protocol } from "../support/clients.js";
import { newObserved, type Running, startConnectServer, startGrpcServer } from "../support/servers.js";

const secret = "session-e2e-secret-0123456789abcdefgh";
const users = createJwtAuthenticator({
  name: "users",
  issuer: "https://login.test",
  audience: "gateway",
  algorithms: ["HS256"],
  key: { secret },
  principal: { kind: "user", rolesClaim: "roles" },
  vocabulary: authzVocabulary,
});
const authenticate = authenticateWith<AuthzPrincipal>(users, createSessionCookieAuthenticator({ cookie: "session", jwt: users }));
const token = (options: { exp?: number; key?: string } = {}) =>
  new SignJWT({ iss: "https://login.test", aud: "gateway", sub: "alice", scope: "things.read", roles: ["member"] })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "5m")
    .sign(new TextEncoder().encode(options.key ?? secret));

const servers: [string, Protocol, (seen: ReturnType<typeof newObserved>) => Promise<Running>][] = [
  ["connect-node", "connect", (seen) => startConnectServer(seen, { authenticate })],
  ["connect-node", "grpc-web", (seen) => startConnectServer(seen, { authenticate })],
  ["connect-node", "grpc", (seen) => startConnectServer(seen, { authenticate })],
  ["grpc-js", "grpc", (seen) => startGrpcServer(seen, { authenticate })],
];

describe.each(servers)("%s over %s", (_server, protocol, start) => {
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

  it.each(callKinds)(
    "%s: a cookie from the same origin is admitted, a cross-site, expired or forged one never reaches the handler",
    async (kind) => {
      const valid = `session=${await token()}`;
      const expired = `session=${await token({ exp: Math.floor(Date.now() / 1000) - 600 })}`;
      const forged = `Bearer ${await token({ key: "another-secret-0123456789abcdefghij" })}`;
      const call = (headers: Record<string, string>) => callOnce(client.transport, UserService, kind, headers, ["sb-1"]);
      const before = seen.invocations.length;
      expect(await call({ cookie: valid, "sec-fetch-site": "cross-site" })).toBe(Code.Unauthenticated);
      expect(await call({ cookie: valid })).toBe(Code.Unauthenticated);
      expect(await call({ cookie: valid, origin: "https://evil.example" })).toBe(Code.Unauthenticated);
      expect(await call({ cookie: expired, "sec-fetch-site": "same-origin" })).toBe(Code.Unauthenticated);
      expect(await call({ cookie: valid, "sec-fetch-site": "same-origin", authorization: forged })).toBe(Code.Unauthenticated);
      expect(seen.invocations.length).toBe(before);
      expect(await call({ cookie: valid, "sec-fetch-site": "same-origin" })).toBe("ok");
      expect(seen.subjects.at(-1)).toBe("alice");
      const reasons = seen.events.filter((e) => !e.allowed).map((e) => e.reason);
      expect(reasons).toContain("cross_site_request");
      expect(reasons).toContain("invalid_credentials");
    },
  );
});
