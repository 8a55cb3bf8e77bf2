import { constants, createHmac, createVerify, type KeyObject, timingSafeEqual, verify } from "node:crypto";

/** How one JWS algorithm verifies, on Node's synchronous crypto. */
interface Algorithm {
  readonly hash: "sha256" | "sha384" | "sha512" | null;
  readonly family: "hmac" | "rsa" | "rsa-pss" | "ecdsa" | "eddsa";
  /** ECDSA: the curve (Node's name) and the P1363 signature length. */
  readonly curve?: string;
  readonly signatureBytes?: number;
}

const table: Readonly<Record<string, Algorithm>> = {
  HS256: { hash: "sha256", family: "hmac" },
  HS384: { hash: "sha384", family: "hmac" },
  HS512: { hash: "sha512", family: "hmac" },
  RS256: { hash: "sha256", family: "rsa" },
  RS384: { hash: "sha384", family: "rsa" },
  RS512: { hash: "sha512", family: "rsa" },
  PS256: { hash: "sha256", family: "rsa-pss" },
  PS384: { hash: "sha384", family: "rsa-pss" },
  PS512: { hash: "sha512", family: "rsa-pss" },
  ES256: { hash: "sha256", family: "ecdsa", curve: "prime256v1", signatureBytes: 64 },
  ES384: { hash: "sha384", family: "ecdsa", curve: "secp384r1", signatureBytes: 96 },
  ES512: { hash: "sha512", family: "ecdsa", curve: "secp521r1", signatureBytes: 132 },
  EdDSA: { hash: null, family: "eddsa" },
  Ed25519: { hash: null, family: "eddsa", curve: "ed25519" },
};

export const supportedAlgorithms: readonly string[] = Object.keys(table);
export const isSymmetric = (alg: string) => table[alg]?.family === "hmac";

/**
 * Why `key` cannot verify `alg`, or undefined when it can: the key type must
 * match the algorithm (no RSA key for ES256, no EC key on the wrong curve),
 * and RSA keys have at least 2048 bits, as jose requires.
 */
export function keyMismatch(alg: string, key: KeyObject): string | undefined {
  const entry = table[alg];
  if (entry === undefined) return `algorithm ${alg} is not supported`;
  if (entry.family === "hmac") return key.type === "secret" ? undefined : `${alg} needs a shared secret`;
  if (key.type !== "public") return `${alg} needs a public key`;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  switch (entry.family) {
    case "rsa":
    case "rsa-pss":
      if (type !== "rsa" && !(entry.family === "rsa-pss" && type === "rsa-pss")) return `${alg} needs an RSA key, not ${type}`;
      return (details?.modulusLength ?? 0) < 2048 ? `${alg} needs an RSA key of at least 2048 bits` : undefined;
    case "ecdsa":
      return type === "ec" && details?.namedCurve === entry.curve ? undefined : `${alg} needs an EC key on ${entry.curve}`;
    case "eddsa":
      if (entry.curve !== undefined) return type === entry.curve ? undefined : `${alg} needs an Ed25519 key`;
      return type === "ed25519" || type === "ed448" ? undefined : `${alg} needs an Ed25519 or Ed448 key`;
  }
}

const secrets = new WeakMap<KeyObject, Buffer>();
/** HMAC over raw bytes is ~10% faster than over a KeyObject. */
function secretBytes(key: KeyObject): Buffer {
  let bytes = secrets.get(key);
  if (bytes === undefined) secrets.set(key, (bytes = key.export()));
  return bytes;
}

/** Verifies a JWS signature synchronously; false on any mismatch. Call keyMismatch first. */
export function verifySignature(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const entry = table[alg];
  if (entry === undefined) return false;
  // The signing input is ASCII (the bearer grammar): UTF-8 is the fast path.
  if (entry.family === "hmac") {
    const mac = createHmac(entry.hash as string, secretBytes(key))
      .update(signingInput)
      .digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  // Streaming verifiers hash the string as it is; the one-shot verify would
  // copy it into a Buffer first (~0.7 us more per RSA or ECDSA token).
  switch (entry.family) {
    case "rsa":
      return createVerify(entry.hash as string)
        .update(signingInput)
        .verify(key, signature);
    case "rsa-pss":
      return createVerify(entry.hash as string)
        .update(signingInput)
        .verify({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    case "ecdsa":
      return (
        signature.length === entry.signatureBytes &&
        createVerify(entry.hash as string)
          .update(signingInput)
          .verify({ key, dsaEncoding: "ieee-p1363" }, signature)
      );
    case "eddsa":
      // EdDSA has no streaming form: it signs the message, not a digest.
      return verify(null, Buffer.from(signingInput), key, signature);
  }
}
