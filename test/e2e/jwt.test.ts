// Bearer JWT authentication with real keys, minted by jose in the test, and a
// real JWKS / OIDC issuer on 127.0.0.1.

import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { AuthenticationError, type AuthnRequest } from "protoauthz";
import { createJwtAuthenticator, createTokenSource } from "protoauthz/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeyServer, startKeyServer } from "../support/keyserver.js";

const secret = "0123456789abcdef0123456789abcdef-shared";
const now = () => Math.floor(Date.now() / 1000);
const request = (authorization?: string | string[]): AuthnRequest => {
  const header = new Headers();
  for (const value of [authorization ?? []].flat()) header.append("authorization", value);
  return { procedure: "/x.v1.S/M", header, peer: undefined };
};

async function mint(
  alg: string,
  key: Parameters<SignJWT["sign"]>[0],
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
) {
  const { exp = now() + 300, nbf, iss = "https://issuer.test", aud = "gateway", sub = "u-1", ...rest } = claims;
  const jwt = new SignJWT(rest).setProtectedHeader({ alg, ...header }).setIssuedAt();
  if (iss !== null) jwt.setIssuer(iss as string);
  if (aud !== null) jwt.setAudience(aud as string);
  if (sub !== null) jwt.setSubject(sub as string);
  if (exp !== null) jwt.setExpirationTime(exp as number);
  if (nbf !== undefined) jwt.setNotBefore(nbf as number);
  return jwt.sign(key);
}

/** "ok:<subject>", "unauthenticated: …" or "unavailable: …" */
async function outcome(
  authenticate: (r: AuthnRequest) => { subject: string } | Promise<{ subject: string }>,
  authorization?: string | string[],
) {
  try {
    return `ok:${(await authenticate(request(authorization))).subject}`;
  } catch (error) {
    return error instanceof AuthenticationError ? `unauthenticated: ${error.message}` : `unavailable: ${(error as Error).message}`;
  }
}

const base = { issuer: "https://issuer.test", audience: "gateway", principal: { kind: "user" as const, rolesClaim: "roles" } };

describe("algorithms and keys", () => {
  it("HS256 with a shared secret", async () => {
    const auth = createJwtAuthenticator({ ...base, algorithms: ["HS256"], key: { secret } });
    const token = await mint("HS256", new TextEncoder().encode(secret), { scope: "a b", roles: ["admin"] });
    const principal = await auth.authenticate(request(`Bearer ${token}`));
    expect(principal).toEqual({ kind: "user", subject: "u-1", scopes: ["a", "b"], roles: ["admin"], attributes: {} });
  });

  for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
    it(`${alg} with a verify-only public key (PEM and JWK)`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const token = await mint(alg, privateKey, { scp: ["read"] });
      for (const key of [await exportSPKI(publicKey), await exportJWK(publicKey)]) {
        const auth = createJwtAuthenticator({ ...base, algorithms: [alg], key: { publicKey: key } });
        expect(await outcome((r) => auth.authenticate(r), `Bearer ${token}`)).toBe("ok:u-1");
      }
    });
  }
});

describe("rejected tokens", async () => {
  const es = await generateKeyPair("ES256", { extractable: true });
  const other = await generateKeyPair("ES256", { extractable: true });
  const publicPem = await exportSPKI(es.publicKey);
  const auth = createJwtAuthenticator({
    ...base,
    algorithms: ["ES256"],
    key: { publicKey: publicPem },
    principal: { ...base.principal, allowedSubjects: ["u-1", "u-2"] },
  });
  const check = (authorization: string | string[]) => outcome((r) => auth.authenticate(r), authorization);
  const good = await mint("ES256", es.privateKey);

  const cases: [string, () => Promise<string | string[]>, RegExp][] = [
    ["expired", () => mint("ES256", es.privateKey, { exp: now() - 120 }).then((t) => `Bearer ${t}`), /exp/],
    ["not yet valid", () => mint("ES256", es.privateKey, { nbf: now() + 600 }).then((t) => `Bearer ${t}`), /nbf/],
    ["wrong audience", () => mint("ES256", es.privateKey, { aud: "billing" }).then((t) => `Bearer ${t}`), /aud/],
    ["wrong issuer", () => mint("ES256", es.privateKey, { iss: "https://evil.test" }).then((t) => `Bearer ${t}`), /iss/],
    ["no expiry", () => mint("ES256", es.privateKey, { exp: null }).then((t) => `Bearer ${t}`), /exp/],
    ["subject not allowed", () => mint("ES256", es.privateKey, { sub: "u-9" }).then((t) => `Bearer ${t}`), /allowedSubjects/],
    ["signed by another key", () => mint("ES256", other.privateKey).then((t) => `Bearer ${t}`), /signature/],
    [
      "unsigned (alg: none)",
      async () => {
        const [, payload] = good.split(".");
        const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
        return `Bearer ${header}.${payload}.`;
      },
      /./,
    ],
    [
      "HS256 signed with the public key as secret",
      () => mint("HS256", new TextEncoder().encode(publicPem)).then((t) => `Bearer ${t}`),
      /alg/,
    ],
    [
      "tampered payload",
      async () => {
        const [h, , s] = good.split(".");
        const payload = Buffer.from(JSON.stringify({ sub: "u-2", iss: base.issuer, aud: "gateway", exp: now() + 300 })).toString(
          "base64url",
        );
        return `Bearer ${h}.${payload}.${s}`;
      },
      /signature/,
    ],
    ["malformed base64", async () => `Bearer ${good.slice(0, 10)}!!${good.slice(12)}`, /Bearer/],
    ["oversized", async () => `Bearer ${good}${"A".repeat(9000)}`, /longer than/],
    ["two Authorization headers", async () => [`Bearer ${good}`, `Bearer ${good}`], /exactly one/],
    ["Basic scheme", async () => `Basic ${Buffer.from("u:p").toString("base64")}`, /Bearer/],
    ["two tokens in one header", async () => `Bearer ${good} ${good}`, /exactly one/],
  ];

  it("accepts the control token", async () => {
    expect(await check(`Bearer ${good}`)).toBe("ok:u-1");
    expect(await check(`bEaReR ${good}`)).toBe("ok:u-1");
  });

  it.each(cases)("%s → Unauthenticated", async (_name, header, detail) => {
    const result = await check(await header());
    expect(result).toMatch(/^unauthenticated: /);
    expect(result).toMatch(detail);
  });
});

describe("configurations that cannot verify anything are refused at creation", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["no algorithms", () => createJwtAuthenticator({ ...base, algorithms: [], key: { secret } }), /algorithms/],
    ["alg none", () => createJwtAuthenticator({ ...base, algorithms: ["none"], key: { secret } }), /none/],
    ["empty secret", () => createJwtAuthenticator({ ...base, algorithms: ["HS256"], key: { secret: "" } }), /32/],
    ["short secret", () => createJwtAuthenticator({ ...base, algorithms: ["HS256"], key: { secret: "hunter2" } }), /32/],
    ["no key", () => createJwtAuthenticator({ ...base, algorithms: ["ES256"] } as never), /key source/],
    [
      "two keys",
      () => createJwtAuthenticator({ ...base, algorithms: ["ES256"], key: { secret, jwksUrl: "http://x" } as never }),
      /exactly one/,
    ],
    [
      "HS256 with a public key",
      () => createJwtAuthenticator({ ...base, algorithms: ["HS256"], key: { publicKey: "-----BEGIN PUBLIC KEY-----" } }),
      /shared secret/,
    ],
    ["RS256 with a secret", () => createJwtAuthenticator({ ...base, algorithms: ["RS256"], key: { secret } }), /only HS256/],
    [
      "private JWK",
      () => createJwtAuthenticator({ ...base, algorithms: ["ES256"], key: { publicKey: { kty: "EC", d: "x" } as JWK } }),
      /private/,
    ],
    [
      "no issuer",
      () => createJwtAuthenticator({ audience: "gateway", principal: { kind: "user" }, algorithms: ["HS256"], key: { secret } }),
      /issuer/,
    ],
    [
      "no audience",
      () => createJwtAuthenticator({ issuer: "i", principal: { kind: "user" }, algorithms: ["HS256"], key: { secret } }),
      /audience/,
    ],
  ];
  it.each(cases)("%s", (_name, create, message) => {
    expect(create).toThrow(message);
  });

  it("opting out of issuer and audience is possible, by name", () => {
    expect(() =>
      createJwtAuthenticator({
        principal: { kind: "user" },
        algorithms: ["HS256"],
        key: { secret },
        dangerouslyAcceptAnyIssuer: true,
        dangerouslyAcceptAnyAudience: true,
      }),
    ).not.toThrow();
  });
});

describe("remote keys: JWKS and OIDC discovery", () => {
  let server: KeyServer;
  let signing: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
  const addKey = async (kid: string) => {
    const pair = await generateKeyPair("EdDSA", { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: "EdDSA" };
    signing.push({ kid, privateKey: pair.privateKey, jwk });
    return jwk;
  };
  beforeAll(async () => {
    server = await startKeyServer();
    signing = [];
    server.keys = [await addKey("k1")];
  });
  afterAll(() => server.close());
  const tokenFor = (kid: string, claims: Record<string, unknown> = {}) => {
    const key = signing.find((k) => k.kid === kid);
    if (key === undefined) throw new Error(kid);
    return mint("EdDSA", key.privateKey, { iss: server.issuer, ...claims }, { kid });
  };

  it("picks up a rotated key when an unknown kid appears", async () => {
    const auth = createJwtAuthenticator({
      ...base,
      issuer: server.issuer,
      algorithms: ["EdDSA"],
      key: { jwksUrl: server.jwksUrl, remote: { cooldownMs: 0 } },
    });
    expect(await outcome((r) => auth.authenticate(r), `Bearer ${await tokenFor("k1")}`)).toBe("ok:u-1");
    server.keys = [...server.keys, await addKey("k2")];
    expect(await outcome((r) => auth.authenticate(r), `Bearer ${await tokenFor("k2")}`)).toBe("ok:u-1");
    expect(server.hits.filter((h) => h === "/jwks.json").length).toBe(2);
  });

  it("refetches for an unknown kid at most once per cooldown", async () => {
    const auth = createJwtAuthenticator({
      ...base,
      issuer: server.issuer,
      algorithms: ["EdDSA"],
      key: { jwksUrl: server.jwksUrl, remote: { cooldownMs: 60_000 } },
    });
    const before = server.hits.length;
    expect(await outcome((r) => auth.authenticate(r), `Bearer ${await tokenFor("k1")}`)).toBe("ok:u-1");
    await addKey("k3"); // signed with, never published
    for (let i = 0; i < 5; i++)
      expect(await outcome((r) => auth.authenticate(r), `Bearer ${await tokenFor("k3")}`)).toMatch(/^unauthenticated: /);
    expect(server.hits.length - before).toBeLessThanOrEqual(2);
  });

  it("discovers the JWKS through OIDC, with allowed subjects and workload attributes", async () => {
    const auth = createJwtAuthenticator({
      issuer: server.issuer,
      audience: "gateway",
      algorithms: ["EdDSA"],
      key: { oidcIssuer: server.issuer },
      principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" }, allowedSubjects: ["workload-a"] },
    });
    const principal = await auth.authenticate(request(`Bearer ${await tokenFor("k1", { sub: "workload-a", sandbox_id: "sb-7" })}`));
    expect(principal).toMatchObject({ kind: "sandbox", subject: "workload-a", attributes: { sandbox_id: "sb-7" } });
    expect(server.hits).toContain("/.well-known/openid-configuration");
    expect(await outcome((r) => auth.authenticate(r), `Bearer ${await tokenFor("k1", { sub: "workload-b" })}`)).toMatch(/allowedSubjects/);
  });

  it("an unreachable issuer makes requests unavailable, never allowed", async () => {
    const down = await startKeyServer();
    down.down = true;
    const jwks = createJwtAuthenticator({ ...base, issuer: server.issuer, algorithms: ["EdDSA"], key: { jwksUrl: down.jwksUrl } });
    const oidc = createJwtAuthenticator({ ...base, issuer: server.issuer, algorithms: ["EdDSA"], key: { oidcIssuer: down.issuer } });
    const token = `Bearer ${await tokenFor("k1")}`;
    expect(await outcome((r) => jwks.authenticate(r), token)).toMatch(/^unavailable: /);
    expect(await outcome((r) => oidc.authenticate(r), token)).toMatch(/^unavailable: .*discovery/);
    await down.close();
    const closedPort = down.jwksUrl;
    const gone = createJwtAuthenticator({ ...base, issuer: server.issuer, algorithms: ["EdDSA"], key: { jwksUrl: closedPort } });
    expect(await outcome((r) => gone.authenticate(r), token)).toMatch(/^unavailable: /);
  });

  it("a slow issuer times out as unavailable", async () => {
    const slow = await startKeyServer();
    slow.keys = server.keys;
    slow.delayMs = 2_000;
    const auth = createJwtAuthenticator({
      ...base,
      issuer: server.issuer,
      algorithms: ["EdDSA"],
      key: { jwksUrl: slow.jwksUrl, remote: { timeoutMs: 200 } },
    });
    const started = Date.now();
    expect(await outcome((r) => auth.authenticate(r), `Bearer ${await tokenFor("k1")}`)).toMatch(/^unavailable: .*timed out/i);
    expect(Date.now() - started).toBeLessThan(1_500);
    await slow.close();
  });
});

describe("token source", () => {
  it("reuses a token until it nears expiry, then signs a fresh one", async () => {
    let clock = 1_000_000;
    const source = createTokenSource({
      algorithm: "HS256",
      key: secret,
      issuer: "https://issuer.test",
      audience: "gateway",
      subject: "billing",
      lifetimeSeconds: 300,
      refreshBeforeSeconds: 60,
      now: () => clock,
    });
    const first = await source.token();
    clock += 200;
    expect(await source.token()).toBe(first);
    clock += 50; // 50 s left: inside the refresh window
    const second = await source.token();
    expect(second).not.toBe(first);
    const claims = JSON.parse(Buffer.from(second.split(".")[1] ?? "", "base64url").toString());
    expect(claims).toMatchObject({ iss: "https://issuer.test", aud: "gateway", sub: "billing", exp: clock + 300 });
  });
});
