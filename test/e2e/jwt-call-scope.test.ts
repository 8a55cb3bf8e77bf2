// No per-request state survives a call: a call that reached a JWT
// authenticator's inspect() but not its authenticate() (another authenticator
// threw, or refused its own header) must leave nothing a later call with the
// same header is served from. Through real servers, on both adapters.
import { SignJWT } from "jose";
import { type Authenticate, AuthenticationError, type Authenticator, authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuthzPrincipal } from "../gen/authz_registry.js";
import { authzVocabulary } from "../gen/authz_registry.js";
import { UserService } from "../gen/guardtest/v1/guard_pb.js";
import { Code, callOnce, connectTo } from "../support/clients.js";
import { newObserved, type Running, startConnectServer, startGrpcServer } from "../support/servers.js";

const secret = "0123456789abcdef0123456789abcdef-call-scope";
const issuer = "https://issuer.call-scope";
const start = Date.UTC(2026, 0, 1, 12, 0, 0);
const seconds = (ms: number) => Math.floor(ms / 1000);

const token = (claims: Record<string, unknown>) =>
  new SignJWT({ sub: "u-1", iss: issuer, aud: "api", scope: "things.read", roles: ["member"], ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(secret));

const jwt = (extra: object = {}) =>
  createJwtAuthenticator({
    issuer,
    audience: "api",
    algorithms: ["HS256"],
    key: { secret },
    principal: { kind: "user", rolesClaim: "roles" },
    vocabulary: authzVocabulary,
    ...extra,
  }) as Authenticator<AuthzPrincipal>;

/** Reads `x-tenant-key`: "not-mine" for any value but "ok" (an API-key style authenticator that refuses a foreign key). */
const picky: Authenticator<AuthzPrincipal> = {
  name: "picky",
  credential: "header:x-tenant-key",
  inspect: (request) => {
    const value = request.header.get("x-tenant-key");
    return value === null ? "absent" : value === "ok" ? "mine" : "not-mine";
  },
  authenticate: () => {
    throw new AuthenticationError("picky: never valid");
  },
};
/** Listed after the JWT authenticator, it throws in inspect when `x-boom` is present. */
const throwing: Authenticator<AuthzPrincipal> = {
  name: "throwing",
  credential: "header:x-boom",
  inspect: (request) => {
    if (request.header.has("x-boom")) throw new Error("inspect failed");
    return "absent";
  },
  authenticate: () => {
    throw new Error("unreachable");
  },
};

const servers: Running[] = [];
const clients: { close(): void }[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(kind: "connect" | "grpc", authenticate: Authenticate<AuthzPrincipal>) {
  const server = await (kind === "connect" ? startConnectServer : startGrpcServer)(newObserved(), { authenticate });
  servers.push(server);
  const client = connectTo(server.url, kind === "connect" ? "connect" : "grpc");
  clients.push(client);
  return (headers: Record<string, string>) => callOnce(client.transport, UserService, "unary", headers, ["x"]);
}

/** A call that reaches the JWT authenticator's inspect() and then fails before its authenticate(). */
const aborted = [
  { name: "another header refused (not-mine)", extra: { "x-tenant-key": "foreign" } },
  { name: "a later authenticator's inspect throws", extra: { "x-boom": "1" } },
] as const;

describe.each(["connect", "grpc"] as const)("%s: a call that never reached authenticate leaves nothing behind", (kind) => {
  for (const path of aborted) {
    it(`${path.name}: a token 55 s past exp is refused on the next call`, async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(start);
      const call = await serve(kind, authenticateWith(jwt(), picky, throwing));
      const bearer = { authorization: `Bearer ${await token({ iat: seconds(start), exp: seconds(start) + 5 })}` };
      expect(await call(bearer)).toBe("ok"); // verified and cached
      expect(await call({ ...bearer, ...path.extra })).not.toBe("ok");
      vi.setSystemTime(start + 60_000); // exp + 55 s: past the 30 s tolerance
      expect(await call(bearer)).toBe(Code.Unauthenticated);
    });

    it(`${path.name}: a token past maxTokenAgeSeconds is refused on the next call`, async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(start);
      const call = await serve(kind, authenticateWith(jwt({ maxTokenAgeSeconds: 60, clockToleranceSeconds: 0 }), picky, throwing));
      const bearer = { authorization: `Bearer ${await token({ iat: seconds(start), exp: seconds(start) + 3600 })}` };
      expect(await call(bearer)).toBe("ok");
      expect(await call({ ...bearer, ...path.extra })).not.toBe("ok");
      vi.setSystemTime(start + 120_000);
      expect(await call(bearer)).toBe(Code.Unauthenticated);
    });
  }

  it("one authenticator shared by two guards: an hour-expired token is refused by the other", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start);
    const shared = jwt();
    const composed = await serve(kind, authenticateWith(shared, picky));
    const alone = await serve(kind, authenticateWith(shared));
    const bearer = { authorization: `Bearer ${await token({ iat: seconds(start), exp: seconds(start) + 5 })}` };
    expect(await alone(bearer)).toBe("ok");
    vi.setSystemTime(start + 3_600_000);
    // The composed guard inspects (the token is no longer cached) but refuses the foreign key first.
    expect(await composed({ ...bearer, "x-tenant-key": "foreign" })).toBe(Code.Unauthenticated);
    expect(await alone(bearer)).toBe(Code.Unauthenticated);
    vi.setSystemTime(start);
    // Back at a time the token is valid: the composed guard's aborted call, then the other guard.
    expect(await alone(bearer)).toBe("ok");
    expect(await composed({ ...bearer, "x-tenant-key": "foreign" })).toBe(Code.Unauthenticated);
    vi.setSystemTime(start + 3_600_000);
    expect(await alone(bearer)).toBe(Code.Unauthenticated);
  });
});
