// Key servers that fail are not hammered, oversized documents are refused
// without being read whole, and token age and lifetime are bounded: through a
// real issuer on 127.0.0.1 and real ES256 tokens.

import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { AuthenticationError, type AuthnRequest } from "protoauthz";
import { createJwtAuthenticator, type JwtAuthenticatorOptions } from "protoauthz/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeyServer, startKeyServer } from "../support/keyserver.js";

const now = () => Math.floor(Date.now() / 1000);
const request = (token: string): AuthnRequest => ({
  procedure: "/x.v1.S/M",
  header: new Headers({ authorization: `Bearer ${token}` }),
  peer: undefined,
});

let server: KeyServer;
let signing: CryptoKey;
let published: JWK;
beforeAll(async () => {
  server = await startKeyServer();
  const pair = await generateKeyPair("ES256", { extractable: true });
  signing = pair.privateKey;
  published = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
  server.keys = [published];
});
afterAll(() => server.close());

const token = (claims: Record<string, unknown> = {}, kid = "k1") =>
  new SignJWT({ sub: "u-1", iss: server.issuer, aud: "gateway", iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: "ES256", kid })
    .sign(signing);
const authenticator = (extra: Partial<JwtAuthenticatorOptions<"user">> = {}) =>
  createJwtAuthenticator({
    issuer: server.issuer,
    audience: "gateway",
    algorithms: ["ES256"],
    key: { jwksUrl: server.jwksUrl },
    principal: { kind: "user" },
    ...extra,
  });
/** "ok", "unauthenticated: …" or "unavailable: …" */
async function outcome(auth: ReturnType<typeof authenticator>, jwt: string) {
  try {
    await auth.authenticate(request(jwt));
    return "ok";
  } catch (error) {
    return `${error instanceof AuthenticationError ? "unauthenticated" : "unavailable"}: ${(error as Error).message}`;
  }
}
const fetches = (path = "/jwks.json") => server.hits.filter((h) => h === path).length;

describe("a failing key server is not hammered", () => {
  it("200 requests against a JWKS answering 503 make one fetch, then back off; it recovers", async () => {
    server.down = true;
    const before = fetches();
    const auth = authenticator({ cache: false });
    const jwt = await token();
    for (let i = 0; i < 200; i++) expect(await outcome(auth, jwt)).toMatch(/^unavailable: /);
    expect(fetches() - before).toBe(1);
    server.down = false;
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // first backoff step: 1 s
    expect(await outcome(auth, jwt)).toBe("ok");
    expect(fetches() - before).toBe(2);
  });

  it("after a good fetch, unknown kids during an outage refetch at most once per cooldown", async () => {
    const auth = authenticator({ key: { jwksUrl: server.jwksUrl, remote: { cooldownMs: 30_000 } } });
    expect(await outcome(auth, await token())).toBe("ok");
    const before = fetches();
    server.down = true;
    try {
      for (let i = 0; i < 200; i++) {
        expect(await outcome(auth, await token({ sub: `u-${i}` }, `kid-${i}`))).toMatch(/^(unavailable|unauthenticated): /);
      }
      expect(fetches() - before).toBeLessThanOrEqual(1);
      expect(await outcome(auth, await token({ sub: "known-kid" }))).toBe("ok"); // known keys keep working
    } finally {
      server.down = false;
    }
  });

  it("concurrent requests share one fetch", async () => {
    server.delayMs = 200;
    try {
      const before = fetches();
      const auth = authenticator({ cache: false });
      const jwts = await Promise.all(Array.from({ length: 50 }, (_, i) => token({ sub: `u-${i}` })));
      expect(await Promise.all(jwts.map((t) => outcome(auth, t)))).toEqual(jwts.map(() => "ok"));
      expect(fetches() - before).toBe(1);
    } finally {
      server.delayMs = 0;
    }
  });
});

describe("key server documents are capped (default 1 MiB)", () => {
  const huge = (path: string, declared: boolean) => (url: string, res: import("node:http").ServerResponse) => {
    if (url !== path) return false;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    if (declared) res.setHeader("content-length", String(64 * 1024 * 1024));
    // Endless unless declared: a fetcher that buffers the whole body never finishes.
    let sent = 0;
    const pump = () => {
      while (!res.destroyed && sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed && sent < 64 * 1024 * 1024) res.once("drain", pump);
      else res.end();
    };
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"keys":[');
    pump();
    return true;
  };

  for (const declared of [true, false]) {
    it(`a JWKS over the limit (${declared ? "by Content-Length" : "streamed without a length"}) is unavailable, not read whole`, async () => {
      server.respond = huge("/jwks.json", declared);
      try {
        const started = Date.now();
        expect(await outcome(authenticator(), await token())).toMatch(/^unavailable: .*1048576-byte limit/);
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        server.respond = undefined;
      }
    });
  }

  it("an OIDC discovery document over the limit is unavailable; a smaller limit applies to the JWKS too", async () => {
    server.respond = huge("/.well-known/openid-configuration", false);
    try {
      const auth = authenticator({ key: { oidcIssuer: server.issuer } });
      expect(await outcome(auth, await token())).toMatch(/^unavailable: .*discovery.*limit/);
    } finally {
      server.respond = undefined;
    }
    const tiny = authenticator({ key: { jwksUrl: server.jwksUrl, remote: { maxResponseBytes: 64 } } });
    expect(await outcome(tiny, await token())).toMatch(/^unavailable: .*64-byte limit/);
  });
});

describe("token age and lifetime", () => {
  it("maxTokenAgeSeconds requires iat and refuses older tokens", async () => {
    const auth = authenticator({ maxTokenAgeSeconds: 60, clockToleranceSeconds: 5 });
    expect(await outcome(auth, await token())).toBe("ok");
    expect(await outcome(auth, await token({ iat: now() - 120 }))).toMatch(/^unauthenticated: .*iat.*past/);
    expect(await outcome(auth, await token({ iat: undefined }))).toMatch(/^unauthenticated: .*"iat"/);
    expect(await outcome(auth, await token({ iat: now() + 600 }))).toMatch(/^unauthenticated: .*iat/);
    expect(await outcome(auth, await token({ iat: 1e308 }))).toMatch(/^unauthenticated: /);
  });

  it("exp further ahead than maxTokenLifetimeSeconds (24 h by default) is refused, absurd values included", async () => {
    const auth = authenticator();
    expect(await outcome(auth, await token({ exp: now() + 23 * 3600 }))).toBe("ok");
    expect(await outcome(auth, await token({ exp: now() + 25 * 3600 }))).toMatch(/^unauthenticated: .*maxTokenLifetimeSeconds/);
    expect(await outcome(auth, await token({ exp: 1e308 }))).toMatch(/^unauthenticated: .*maxTokenLifetimeSeconds/);
    const week = authenticator({ maxTokenLifetimeSeconds: 7 * 86_400 });
    expect(await outcome(week, await token({ exp: now() + 25 * 3600 }))).toBe("ok");
  });

  it("refuses limits that are not a sane number of seconds at creation", () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e308, "60" as unknown as number]) {
      expect(() => authenticator({ maxTokenAgeSeconds: bad })).toThrow(/maxTokenAgeSeconds/);
      expect(() => authenticator({ maxTokenLifetimeSeconds: bad })).toThrow(/maxTokenLifetimeSeconds/);
      expect(() => authenticator({ clockToleranceSeconds: bad })).toThrow(/clockToleranceSeconds/);
    }
    expect(() => authenticator({ cache: { maxEntries: 0 } })).toThrow(/maxEntries/);
    expect(() => authenticator({ cache: { maxTtlSeconds: 1e9 } })).toThrow(/maxTtlSeconds/);
  });
});
