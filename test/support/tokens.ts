// Hand-built JWS tokens for tests that need headers and claims jose would
// refuse to sign (non-objects, wrong types, invalid UTF-8), and seeded randomness.
import { constants, createHmac, createSecretKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";

const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");

/** Signs `header.payload` with Node's crypto, exactly as RFC 7515 says for `alg`. */
export function signCompact(alg: string, key: KeyObject, header: unknown, payload: unknown): string {
  const encode = (part: unknown) => (Buffer.isBuffer(part) ? b64url(part) : b64url(JSON.stringify(part)));
  const input = `${encode(header)}.${encode(payload)}`;
  const hash = alg === "EdDSA" || alg === "Ed25519" ? null : `sha${alg.slice(2)}`;
  let signature: Buffer;
  if (alg.startsWith("HS"))
    signature = createHmac(hash as string, key)
      .update(input)
      .digest();
  else if (alg.startsWith("PS"))
    signature = sign(hash, Buffer.from(input), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  else if (alg.startsWith("ES")) signature = sign(hash, Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  else signature = sign(hash, Buffer.from(input), key);
  return `${input}.${b64url(signature)}`;
}

export interface TestKey {
  readonly alg: string;
  readonly signing: KeyObject;
  readonly verifying: KeyObject;
}

/** A fresh key for `alg` (HS*: a 48-byte secret). */
export function testKey(alg: string, seed = 1): TestKey {
  if (alg.startsWith("HS")) {
    const secret = createSecretKey(Buffer.alloc(48, seed));
    return { alg, signing: secret, verifying: secret };
  }
  const pair =
    alg.startsWith("RS") || alg.startsWith("PS")
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : alg.startsWith("ES")
        ? generateKeyPairSync("ec", { namedCurve: { ES256: "P-256", ES384: "P-384", ES512: "P-521" }[alg] as string })
        : generateKeyPairSync("ed25519");
  return { alg, signing: pair.privateKey, verifying: pair.publicKey };
}

/** mulberry32: a small seeded PRNG, so failures reproduce. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
