import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import type { JWK } from "jose";
import { configError } from "../errors.js";
import { isSymmetric, keyMismatch, supportedAlgorithms } from "./algorithms.js";
import { RemoteKeySet } from "./jwks.js";
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
  /** Minimum time between refetches on an unknown `kid`, also while the server fails, ms. Default 30000. */
  readonly cooldownMs?: number;
  /** How long fetched keys are trusted without refetch, ms. Default 600000. */
  readonly cacheMaxAgeMs?: number;
  /** Largest JWKS or discovery document accepted, bytes. Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

/** The verification key for a token's `alg` and `kid`: synchronous when it is known locally. */
export interface KeyStore {
  select(alg: string, kid: unknown): KeyObject | Promise<KeyObject>;
}

/**
 * Checks that a configuration can verify something, and only what it says.
 * Throws AuthzConfigError with the fix; called when the authenticator is created.
 */
export function checkKeyConfig(algorithms: readonly string[], source: KeySource | undefined): void {
  const fail = (what: string): never => {
    throw configError("protoauthz/jwt algorithms and key", what, "make algorithms and key agree", "the JWT authenticator cannot start");
  };
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail('name the accepted algorithms, e.g. algorithms: ["ES256"]');
  for (const alg of algorithms) {
    if (typeof alg !== "string") fail(`algorithms must be strings, not ${JSON.stringify(alg)}`);
    if (alg.toLowerCase() === "none") fail('algorithm "none" verifies nothing; remove it');
    if (!supportedAlgorithms.includes(alg)) fail(`algorithm "${alg}" is not supported (use one of ${supportedAlgorithms.join(", ")})`);
  }
  const sources = source === undefined ? [] : (["secret", "publicKey", "jwksUrl", "oidcIssuer"] as const).filter((k) => k in source);
  if (sources.length !== 1) fail("give exactly one key source: secret, publicKey, jwksUrl or oidcIssuer");
  const symmetricSource = source !== undefined && "secret" in source;
  const wrong = algorithms.filter((alg) => isSymmetric(alg) !== symmetricSource);
  if (wrong.length > 0) {
    fail(
      symmetricSource
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

/** A key imported once; every listed algorithm must fit it (checked here, at creation). */
function localKey(algorithms: readonly string[], key: KeyObject): KeyStore {
  for (const alg of algorithms) {
    const mismatch = keyMismatch(alg, key);
    if (mismatch !== undefined) {
      throw configError(
        "protoauthz/jwt key",
        `${mismatch}; the configured key cannot verify it`,
        "list only algorithms the key is for",
        "the JWT authenticator cannot start",
      );
    }
  }
  return { select: () => key };
}

function importPublicKey(key: string | JWK): KeyObject {
  try {
    return typeof key === "string"
      ? createPublicKey(key)
      : createPublicKey({ key: key as import("node:crypto").JsonWebKey, format: "jwk" });
  } catch (error) {
    throw configError(
      "protoauthz/jwt key.publicKey",
      `publicKey cannot be imported: ${error instanceof Error ? error.message : String(error)}`,
      "give a PEM (SPKI) public key or a public JWK",
      "the JWT authenticator cannot start",
    );
  }
}

/** The key store for a source; remote sources fetch lazily. */
export function keyStore(algorithms: readonly string[], source: KeySource, onRetired: (keys: ReadonlySet<KeyObject>) => void): KeyStore {
  if ("secret" in source) {
    const bytes = typeof source.secret === "string" ? Buffer.from(source.secret, "utf8") : source.secret;
    return localKey(algorithms, createSecretKey(bytes));
  }
  if ("publicKey" in source) return localKey(algorithms, importPublicKey(source.publicKey));
  const remote = source.remote ?? {};
  const timeoutMs = remote.timeoutMs ?? 5_000;
  const maxResponseBytes = remote.maxResponseBytes ?? 1024 * 1024;
  let url: () => Promise<URL>;
  if ("jwksUrl" in source) {
    const fixed = new URL(source.jwksUrl);
    url = async () => fixed;
  } else {
    const discovery = discoverJwksUrl(new URL(source.oidcIssuer), timeoutMs, maxResponseBytes);
    url = () => discovery.jwksUrl();
  }
  const set = new RemoteKeySet({
    url,
    timeoutMs,
    cooldownMs: remote.cooldownMs ?? 30_000,
    cacheMaxAgeMs: remote.cacheMaxAgeMs ?? 600_000,
    maxResponseBytes,
    onRetired,
  });
  return { select: (alg, kid) => set.select(alg, kid) };
}
