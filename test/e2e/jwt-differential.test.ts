// The fast verifier against the reference: jose's jwtVerify with the same
// options must accept exactly the tokens we accept, over a seeded corpus of
// valid, tampered, expired, wrong-key, wrong-alg and malformed tokens.

import { createSecretKey, type KeyObject } from "node:crypto";
import { errors, jwtVerify } from "jose";
import { AuthenticationError, type AuthnRequest } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { describe, expect, it } from "vitest";
import { seeded, signCompact, type TestKey, testKey } from "../support/tokens.js";

const algorithms = ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "ES384", "EdDSA"] as const;
const issuer = "https://issuer.test";
const audience = "gateway";
const corpusSize = Number(process.env.JWT_DIFFERENTIAL_TOKENS ?? 5_000);

/** Two policies, so tolerance, token age and lifetime limits are exercised both ways. */
const policies = [
  { clockToleranceSeconds: 30, maxTokenAgeSeconds: undefined, maxTokenLifetimeSeconds: 86_400 },
  { clockToleranceSeconds: 0, maxTokenAgeSeconds: 600, maxTokenLifetimeSeconds: 3_600 },
] as const;

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** One corpus token: a base token for `key`, then one random defect (or none). */
function corpusToken(random: () => number, key: TestKey, other: TestKey, keys: readonly TestKey[]): string {
  const now = Math.floor(Date.now() / 1000);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const header: Record<string, unknown> = { alg: key.alg, ...(random() < 0.3 && { typ: "JWT" }), ...(random() < 0.2 && { kid: "k1" }) };
  const claims: Record<string, unknown> = {
    iss: issuer,
    aud: audience,
    sub: `u-${Math.floor(random() * 1000)}`,
    iat: now - 5,
    exp: now + 300,
  };
  if (random() < 0.3) claims.scope = "a b";
  let signer = key;
  let finish = (token: string) => token;
  switch (Math.floor(random() * 20)) {
    case 0:
    case 1:
    case 2:
      break; // valid
    case 3: {
      const changed = b64({ ...claims, sub: "admin" });
      finish = (t) => t.replace(/\.[^.]+\./, `.${changed}.`);
      break;
    }
    case 4:
      finish = (t) => {
        const at = t.lastIndexOf(".") + 1 + Math.floor(random() * (t.length - t.lastIndexOf(".") - 1));
        return `${t.slice(0, at)}${t[at] === "A" ? "B" : "A"}${t.slice(at + 1)}`;
      };
      break;
    case 5:
      claims.exp = now + pick([-3600, -100, -10, 60, 7_200, 90_000]);
      break;
    case 6:
      claims.nbf = now + pick([-100, 10, 3600]);
      break;
    case 7:
      signer = other;
      break;
    case 8:
      signer = pick(keys);
      header.alg = signer.alg;
      break;
    case 9:
      header.alg = pick(["none", "None", "", 7, null, "HS256"]);
      finish = (t) => (random() < 0.5 ? t.slice(0, t.lastIndexOf(".") + 1) : t);
      break;
    case 10:
      claims.iss = pick([undefined, "https://evil.test", `${issuer}/`, ["https://issuer.test"]]);
      break;
    case 11:
      claims.aud = pick([undefined, "billing", ["billing", audience], ["billing"], [], 5, ""]);
      break;
    case 12:
      claims.sub = pick([undefined, "", 42, null, ["u-1"]]);
      break;
    case 13:
      claims.exp = pick([undefined, "9999999999", null, now + 1e6, 1e308, -1e308, now + 30.5]);
      break;
    case 14:
      claims.iat = pick([undefined, "now", now - 4000, now - 500, now + 100, now + 10, null, 1e308]);
      break;
    case 15:
      header.crit = pick([["exp"], ["b64"], [], "x"]);
      if (random() < 0.5) header.b64 = false;
      break;
    case 16:
      finish = (t) => {
        const [h, p, s] = t.split(".");
        return pick([
          `${h}.${p}.${s}A`,
          `${h}.${p}.${s?.slice(0, -2)}`,
          `${h}.${p}`,
          `${b64([header])}.${p}.${s}`,
          `${h}.${b64([1])}.${s}`,
        ]);
      };
      break;
    case 17:
      return signCompact(key.alg, key.signing, header, Buffer.from(pick(['{"sub":"\xff\xfe"}', "not json", "null", "[]"]), "latin1"));
    case 18:
      return signCompact(key.alg, key.signing, Buffer.from(pick(['{"alg":', '"HS256"', '{"alg":"x"}']) ?? ""), claims);
    default:
      claims[pick(["roles", "extra", "__proto__", "constructor"])] = pick(["admin", ["a"], { x: 1 }, 1e308]);
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  const alg = typeof header.alg === "string" && algorithms.includes(header.alg as never) ? header.alg : signer.alg;
  // HS* over an asymmetric key: the alg-confusion attack, with the public PEM as the secret.
  const signing =
    alg.startsWith("HS") && signer.signing.type !== "secret"
      ? createSecretKey(Buffer.from(signer.verifying.export({ type: "spki", format: "pem" })))
      : signer.signing;
  return finish(signCompact(alg, signing, header, claims));
}

function requestWith(token: string): AuthnRequest {
  return { procedure: "/x.v1.S/M", header: new Headers({ authorization: `Bearer ${token}` }), peer: undefined };
}

describe("fast verifier == jose jwtVerify (differential)", () => {
  it(`accepts and rejects exactly what jose does over ${corpusSize} seeded tokens × ${policies.length} policies`, async () => {
    const random = seeded(20261128);
    const keys = algorithms.map((alg) => testKey(alg, 1));
    const others = algorithms.map((alg) => testKey(alg, 2));
    const setups = keys.flatMap((key) =>
      policies.map((policy) => ({
        key,
        policy,
        ours: createJwtAuthenticator({
          issuer,
          audience,
          algorithms: [key.alg],
          key: key.alg.startsWith("HS")
            ? { secret: new Uint8Array(key.verifying.export()) }
            : { publicKey: key.verifying.export({ type: "spki", format: "pem" }).toString() },
          principal: { kind: "user" },
          cache: false,
          clockToleranceSeconds: policy.clockToleranceSeconds,
          maxTokenLifetimeSeconds: policy.maxTokenLifetimeSeconds,
          ...(policy.maxTokenAgeSeconds !== undefined && { maxTokenAgeSeconds: policy.maxTokenAgeSeconds }),
        }),
      })),
    );
    const reference = async (token: string, key: KeyObject, alg: string, policy: (typeof policies)[number]) => {
      try {
        const { payload } = await jwtVerify(token, key.type === "secret" ? new Uint8Array(key.export()) : key, {
          algorithms: [alg],
          issuer,
          audience,
          clockTolerance: policy.clockToleranceSeconds,
          requiredClaims: ["exp", "sub"],
          ...(policy.maxTokenAgeSeconds !== undefined && { maxTokenAge: policy.maxTokenAgeSeconds }),
        });
        // What the authenticator adds on top of jose: a subject string, a lifetime limit.
        const lifetime = (payload.exp as number) - Math.floor(Date.now() / 1000);
        return (
          typeof payload.sub === "string" && payload.sub !== "" && lifetime <= policy.maxTokenLifetimeSeconds + policy.clockToleranceSeconds
        );
      } catch (error) {
        if (error instanceof errors.JOSEError) return false;
        throw error;
      }
    };
    const ours = (authenticate: (r: AuthnRequest) => unknown, token: string) => {
      try {
        const result = authenticate(requestWith(token));
        expect(result).not.toBeInstanceOf(Promise); // local keys answer synchronously
        return true;
      } catch (error) {
        if (error instanceof AuthenticationError) return false;
        throw error;
      }
    };

    const disagreements: string[] = [];
    let accepted = 0;
    for (let i = 0; i < corpusSize; i++) {
      const k = Math.floor(random() * keys.length);
      const token = corpusToken(random, keys[k] as TestKey, others[k] as TestKey, keys);
      for (const setup of setups.filter((s) => s.key === keys[k])) {
        const want = await reference(token, setup.key.verifying, setup.key.alg, setup.policy);
        const got = ours((r) => setup.ours.authenticate(r), token);
        if (got) accepted++;
        if (want !== got)
          disagreements.push(`#${i} ${setup.key.alg} tolerance=${setup.policy.clockToleranceSeconds}: jose ${want}, ours ${got}: ${token}`);
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    // A corpus that rejects everything would prove nothing.
    expect(accepted).toBeGreaterThan(corpusSize * 0.1);
    expect(accepted).toBeLessThan(corpusSize * 1.5);
  }, 120_000);
});
