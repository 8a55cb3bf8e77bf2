// A JWKS key that stays listed but may no longer verify (demoted to
// `use: "enc"`, `verify` gone from `key_ops`, renamed) retires at the refetch
// exactly as a removed key does: its cached tokens are verified again, and refused.
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { AuthenticationError, type AuthnRequest } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { afterEach, describe, expect, it } from "vitest";
import { type KeyServer, startKeyServer } from "../support/keyserver.js";

const issuer = "https://issuer.test";
const request = (token: string): AuthnRequest => ({
  procedure: "/x.v1.S/M",
  header: new Headers({ authorization: `Bearer ${token}` }),
  peer: undefined,
});
const now = () => Math.floor(Date.now() / 1000);

let server: KeyServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function keyPair(kid: string) {
  const pair = await generateKeyPair("ES256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" };
  const sign = (sub = "u-1") =>
    new SignJWT({ sub, iss: issuer, aud: "gateway", exp: now() + 300 })
      .setProtectedHeader({ alg: "ES256", kid })
      .sign(pair.privateKey as CryptoKey);
  return { jwk, sign };
}

async function outcome(promise: () => unknown) {
  try {
    return { principal: await promise() };
  } catch (error) {
    return { error: error instanceof AuthenticationError ? "unauthenticated" : "unavailable" };
  }
}

const demotions: [string, (jwk: JWK) => JWK][] = [
  ['use: "enc"', (jwk) => ({ ...jwk, use: "enc" })],
  ['key_ops: ["encrypt"]', ({ use: _, ...jwk }) => ({ ...jwk, key_ops: ["encrypt"] })],
  ["key_ops: [] (verify gone)", ({ use: _, ...jwk }) => ({ ...jwk, key_ops: [] })],
];

describe("a demoted JWKS key evicts its cached tokens at the refetch", () => {
  for (const [what, demote] of demotions) {
    it(what, async () => {
      server = await startKeyServer();
      const k1 = await keyPair("k1");
      const k2 = await keyPair("k2");
      server.keys = [k1.jwk, k2.jwk];
      const auth = createJwtAuthenticator({
        issuer,
        audience: "gateway",
        algorithms: ["ES256"],
        key: { jwksUrl: server.jwksUrl, remote: { cooldownMs: 0 } },
        principal: { kind: "user" },
      });
      const token = await k1.sign();
      const other = await k2.sign();
      const first = await auth.authenticate(request(token));
      const kept = await auth.authenticate(request(other));
      expect(auth.authenticate(request(token))).toBe(first); // cached: answered without a promise

      server.keys = [demote(k1.jwk), k2.jwk];
      // A token with an unknown kid makes the authenticator refetch the set.
      const k3 = await keyPair("k3");
      expect(await outcome(async () => auth.authenticate(request(await k3.sign())))).toEqual({ error: "unauthenticated" });
      expect(server.hits.filter((h) => h === "/jwks.json")).toHaveLength(2);

      expect(await outcome(() => auth.authenticate(request(token)))).toEqual({ error: "unauthenticated" });
      expect(auth.authenticate(request(other))).toBe(kept); // the untouched key's tokens stay cached
    });
  }

  it("a key renamed (same material, new kid) retires its tokens too", async () => {
    server = await startKeyServer();
    const k1 = await keyPair("k1");
    server.keys = [k1.jwk];
    const auth = createJwtAuthenticator({
      issuer,
      audience: "gateway",
      algorithms: ["ES256"],
      key: { jwksUrl: server.jwksUrl, remote: { cooldownMs: 0 } },
      principal: { kind: "user" },
    });
    const token = await k1.sign();
    await auth.authenticate(request(token));
    server.keys = [{ ...k1.jwk, kid: "k1-renamed" }];
    const k3 = await keyPair("k3");
    await outcome(async () => auth.authenticate(request(await k3.sign())));
    expect(await outcome(() => auth.authenticate(request(token)))).toEqual({ error: "unauthenticated" });
  });
});
