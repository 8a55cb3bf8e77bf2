// The verified-token cache: what it serves, for how long, and what it forgets,
// observed through the authenticator (a cached answer is the same frozen
// principal object; a fresh verification builds a new one).

import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { AuthenticationError, type AuthnRequest, authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { authzVocabulary, createAuthzGuard } from "../gen/authz_registry.js";
import { startKeyServer } from "../support/keyserver.js";

const secret = "0123456789abcdef0123456789abcdef-shared";
const issuer = "https://issuer.test";
const request = (token: string): AuthnRequest => ({
  procedure: "/x.v1.S/M",
  header: new Headers({ authorization: `Bearer ${token}` }),
  peer: undefined,
});
const now = () => Math.floor(Date.now() / 1000);
const hs = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  new SignJWT({ sub: "u-1", iss: issuer, aud: "gateway", iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: "HS256", ...header })
    .sign(new TextEncoder().encode(secret));
const local = (extra: object = {}) =>
  createJwtAuthenticator({ issuer, audience: "gateway", algorithms: ["HS256"], key: { secret }, principal: { kind: "user" }, ...extra });

/** "ok" with the principal, or the error class. */
async function attempt(auth: ReturnType<typeof local>, token: string) {
  try {
    return { ok: true as const, principal: await auth.authenticate(request(token)) };
  } catch (error) {
    return { ok: false as const, error: error instanceof AuthenticationError ? "unauthenticated" : "unavailable" };
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe("verified-token cache", () => {
  it("answers a repeated token synchronously with the same frozen principal", async () => {
    const auth = local();
    const token = await hs({ scope: "a b" });
    const first = auth.authenticate(request(token));
    expect(first).not.toBeInstanceOf(Promise);
    expect(auth.authenticate(request(token))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen((first as { scopes: unknown }).scopes)).toBe(true);
    // With the cache off, every call verifies afresh.
    const uncached = local({ cache: false });
    expect(uncached.authenticate(request(token))).not.toBe(uncached.authenticate(request(token)));
  });

  it("a request object whose header changes is judged on its new token", async () => {
    const auth = local();
    const reused = request(await hs());
    expect(auth.inspect(reused)).toBe("mine");
    expect((auth.authenticate(reused) as { subject: string }).subject).toBe("u-1");
    (reused.header as Headers).set("authorization", `Bearer ${await hs({ sub: "u-2" })}`);
    expect((auth.authenticate(reused) as { subject: string }).subject).toBe("u-2");
    (reused.header as Headers).set("authorization", "Bearer a.b.c");
    expect(() => auth.authenticate(reused)).toThrow(AuthenticationError);
  });

  it("honours exp to the second, and the TTL", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Math.floor(Date.now() / 1000) * 1000;
    vi.setSystemTime(start);
    const auth = local({ clockToleranceSeconds: 0, cache: { maxTtlSeconds: 60 } });
    const shortLived = await hs({ exp: start / 1000 + 5 });
    const first = await attempt(auth, shortLived);
    expect(first.ok).toBe(true);
    vi.setSystemTime(start + 4_999);
    expect(await attempt(auth, shortLived)).toEqual(first);
    vi.setSystemTime(start + 5_000);
    expect(await attempt(auth, shortLived)).toEqual({ ok: false, error: "unauthenticated" });

    vi.setSystemTime(start);
    const longLived = await hs({ exp: start / 1000 + 3600 });
    const cached = await attempt(auth, longLived);
    vi.setSystemTime(start + 59_999);
    expect((await attempt(auth, longLived)).principal).toBe(cached.principal);
    vi.setSystemTime(start + 60_000); // TTL over: verified again, still valid
    const again = await attempt(auth, longLived);
    expect(again.ok).toBe(true);
    expect(again.principal).not.toBe(cached.principal);
  });

  it("keeps at most maxEntries tokens, least recently used out first", async () => {
    const auth = local({ cache: { maxEntries: 100 } });
    const tokens = await Promise.all(Array.from({ length: 150 }, (_, i) => hs({ sub: `u-${i}` })));
    const principals = tokens.map((t) => auth.authenticate(request(t)));
    expect(auth.authenticate(request(tokens[149] as string))).toBe(principals[149]); // recent: cached
    expect(auth.authenticate(request(tokens[50] as string))).toBe(principals[50]); // the oldest kept
    expect(auth.authenticate(request(tokens[0] as string))).not.toBe(principals[0]); // evicted
    expect(auth.authenticate(request(tokens[49] as string))).not.toBe(principals[49]);
  });

  it("a token used since it was cached gets a second chance: the older unused one leaves instead", async () => {
    const auth = local({ cache: { maxEntries: 3 } });
    const tokens = await Promise.all(Array.from({ length: 4 }, (_, i) => hs({ sub: `u-${i}` })));
    const [t0, t1, t2, t3] = tokens as [string, string, string, string];
    const first = [t0, t1, t2].map((t) => auth.authenticate(request(t)));
    expect(auth.authenticate(request(t0))).toBe(first[0]); // used: spared at the next eviction
    auth.authenticate(request(t3)); // full: the oldest unused (t1) leaves
    expect(auth.authenticate(request(t0))).toBe(first[0]);
    expect(auth.authenticate(request(t2))).toBe(first[2]);
    expect(auth.authenticate(request(t1))).not.toBe(first[1]);
  });

  it("never caches a failure: a token refused now is judged again later", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Math.floor(Date.now() / 1000) * 1000;
    vi.setSystemTime(start);
    const auth = local({ clockToleranceSeconds: 0 });
    const notYet = await hs({ nbf: start / 1000 + 10 });
    expect(await attempt(auth, notYet)).toEqual({ ok: false, error: "unauthenticated" });
    vi.setSystemTime(start + 10_000);
    expect((await attempt(auth, notYet)).ok).toBe(true);
    // A tampered copy of a cached token is a different token: verified, refused.
    const good = await hs();
    expect((await attempt(auth, good)).ok).toBe(true);
    const [h, p, s] = good.split(".");
    expect(await attempt(auth, `${h}.${p}.${s?.startsWith("A") ? "B" : "A"}${s?.slice(1)}`)).toEqual({
      ok: false,
      error: "unauthenticated",
    });
  });

  it("forgets a key's tokens when the key leaves the JWKS, and verifies concurrent identical tokens once", async () => {
    const server = await startKeyServer();
    try {
      const pairs: Record<string, { privateKey: CryptoKey; jwk: JWK }> = {};
      for (const kid of ["k1", "k2"]) {
        const pair = await generateKeyPair("ES256", { extractable: true });
        pairs[kid] = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256" } };
      }
      const es = (kid: string, sub = "u-1") =>
        new SignJWT({ sub, iss: issuer, aud: "gateway", exp: now() + 300 })
          .setProtectedHeader({ alg: "ES256", kid })
          .sign(pairs[kid]?.privateKey as CryptoKey);
      server.keys = [pairs.k1?.jwk as JWK];
      server.delayMs = 100;
      const auth = createJwtAuthenticator({
        issuer,
        audience: "gateway",
        algorithms: ["ES256"],
        key: { jwksUrl: server.jwksUrl, remote: { cooldownMs: 0 } },
        principal: { kind: "user" },
      });
      const old = await es("k1");
      // 20 concurrent calls with one token, before any key is known: one fetch, one verification.
      const answers = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(request(old))));
      expect(new Set(answers).size).toBe(1);
      expect(server.hits.filter((h) => h === "/jwks.json")).toHaveLength(1);
      expect(auth.authenticate(request(old))).toBe(answers[0]); // now synchronous

      server.delayMs = 0;
      server.keys = [pairs.k2?.jwk as JWK]; // k1 retired
      expect((await attempt(auth, await es("k2"))).ok).toBe(true); // unknown kid: refetch
      expect(await attempt(auth, old)).toEqual({ ok: false, error: "unauthenticated" });
    } finally {
      await server.close();
    }
  });

  it("keeps the guard synchronous: authenticateWith(jwt) with a local key answers without a promise", async () => {
    const auth = createJwtAuthenticator({
      issuer,
      audience: "gateway",
      algorithms: ["HS256"],
      key: { secret },
      principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" } },
      vocabulary: authzVocabulary,
    });
    const { guard } = createAuthzGuard({ authenticate: authenticateWith(auth) });
    const token = await hs({ sandbox_id: "sb-1" });
    for (let i = 0; i < 2; i++) {
      const verdict = guard.authorize({
        procedure: "/guardtest.v1.WorkloadService/Unary",
        header: new Headers({ authorization: `Bearer ${token}` }),
        peer: undefined,
      });
      expect(verdict).not.toBeInstanceOf(Promise);
      expect((verdict as { decision: { allowed: boolean } }).decision.allowed).toBe(true);
    }
  });
});
