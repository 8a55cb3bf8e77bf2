import { type CryptoKey, createRemoteJWKSet, importJWK, importSPKI, type JWK, type JWTVerifyGetKey } from "jose";
import { discoverJwksUrl } from "./oidc.js";

/** Where verification keys come from: exactly one of these. */
export type KeySource =
  | { readonly secret: string | Uint8Array }
  | { readonly publicKey: string | JWK }
  | { readonly jwksUrl: string | URL; readonly remote?: RemoteOptions }
  | { readonly oidcIssuer: string | URL; readonly remote?: RemoteOptions };

export interface RemoteOptions {
  /** Per fetch, ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Minimum time between refetches on an unknown `kid`, ms. Default 30000. */
  readonly cooldownMs?: number;
  /** How long fetched keys are trusted without refetch, ms. Default 600000. */
  readonly cacheMaxAgeMs?: number;
}

const symmetric = new Set(["HS256", "HS384", "HS512"]);
const asymmetric = new Set(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"]);

/**
 * Checks that a configuration can verify something, and only what it says.
 * Throws TypeError with the fix; called when the authenticator is created.
 */
export function checkKeyConfig(algorithms: readonly string[], source: KeySource | undefined): void {
  const fail = (what: string): never => {
    throw new TypeError(`protoauthz/jwt: ${what}`);
  };
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail('name the accepted algorithms, e.g. algorithms: ["ES256"]');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === "none") fail('algorithm "none" verifies nothing; remove it');
    if (!symmetric.has(alg) && !asymmetric.has(alg))
      fail(`algorithm "${alg}" is not supported (use one of ${[...symmetric, ...asymmetric].join(", ")})`);
  }
  const sources = source === undefined ? [] : (["secret", "publicKey", "jwksUrl", "oidcIssuer"] as const).filter((k) => k in source);
  if (sources.length !== 1) fail("give exactly one key source: secret, publicKey, jwksUrl or oidcIssuer");
  const isSymmetric = source !== undefined && "secret" in source;
  const wrong = algorithms.filter((alg) => symmetric.has(alg) !== isSymmetric);
  if (wrong.length > 0) {
    fail(
      isSymmetric
        ? `a shared secret verifies only HS256/HS384/HS512, not ${wrong.join(", ")}`
        : `${wrong.join(", ")} need a shared secret; a public key or key set with a symmetric algorithm would let anyone holding the public key sign tokens`,
    );
  }
  if (source !== undefined && "secret" in source) {
    const bytes = typeof source.secret === "string" ? new TextEncoder().encode(source.secret) : source.secret;
    if (bytes.length < 32) fail(`the shared secret has ${bytes.length} bytes; use at least 32 random bytes`);
  }
  if (source !== undefined && "publicKey" in source) {
    const key = source.publicKey;
    if (typeof key === "string" && !key.includes("BEGIN PUBLIC KEY"))
      fail("publicKey must be an SPKI PEM (-----BEGIN PUBLIC KEY-----) or a public JWK");
    if (typeof key === "object" && ("d" in key || key.kty === "oct"))
      fail("publicKey is a private or symmetric JWK; pass only the public part (verify-only)");
  }
}

/** A key resolver for jose's jwtVerify; remote sources fetch lazily. */
export async function keyResolver(algorithms: readonly string[], source: KeySource): Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> {
  if ("secret" in source) return typeof source.secret === "string" ? new TextEncoder().encode(source.secret) : source.secret;
  if ("publicKey" in source) {
    // One imported key per algorithm: jose binds a CryptoKey to its algorithm.
    const keys = new Map<string, CryptoKey>();
    for (const alg of algorithms) {
      const key = source.publicKey;
      keys.set(alg, (typeof key === "string" ? await importSPKI(key, alg) : await importJWK(key, alg)) as CryptoKey);
    }
    return (header) => {
      const key = keys.get(header.alg);
      if (key === undefined) throw new Error("unreachable: jose checks algorithms first");
      return key;
    };
  }
  const remote = {
    timeoutDuration: source.remote?.timeoutMs ?? 5_000,
    cooldownDuration: source.remote?.cooldownMs ?? 30_000,
    cacheMaxAge: source.remote?.cacheMaxAgeMs ?? 600_000,
  };
  if ("jwksUrl" in source) return createRemoteJWKSet(new URL(source.jwksUrl), remote);
  const discovered = discoverJwksUrl(new URL(source.oidcIssuer), remote.timeoutDuration);
  let jwks: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    jwks ??= createRemoteJWKSet(await discovered.jwksUrl(), remote);
    return jwks(header, token);
  };
}
