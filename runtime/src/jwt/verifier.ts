import type { KeyObject } from "node:crypto";
import type { JWTPayload } from "jose";
import { AuthenticationError } from "../errors.js";
import type { Principal } from "../principal.js";
import { verifySignature } from "./algorithms.js";
import { TokenCache } from "./cache.js";
import { type ClaimMapping, claimMapper, type PrincipalVocabulary } from "./claims.js";
import { type CompactJws, parseCompact } from "./compact.js";
import type { KeyStore } from "./keys.js";
import { type ClaimPolicy, checkRegisteredClaims } from "./registered.js";

export interface VerifierConfig<K extends string, R extends string, S extends string> {
  readonly algorithms: ReadonlySet<string>;
  readonly policy: ClaimPolicy;
  readonly mapping: ClaimMapping<K>;
  readonly vocabulary: PrincipalVocabulary<R, S> | undefined;
  readonly cache: TokenCache<Principal<K, R, S>> | undefined;
}

/**
 * Token -> principal on Node's synchronous crypto. Answers without a promise
 * for a cache hit or a key already at hand; only a key fetch makes it async,
 * and concurrent calls with the same token then share one verification.
 * Throws AuthenticationError for a bad token, a plain Error when keys are unavailable.
 */
export interface Verifier<P> {
  /** The cache key of a token (its SHA-256), or undefined with the cache off. */
  idOf(token: string): string | undefined;
  /** The cached principal of a token (by its id), if any. */
  cached(id: string | undefined): P | undefined;
  verify(token: string, id: string | undefined): P | Promise<P>;
}

export function createVerifier<K extends string, R extends string, S extends string>(
  config: VerifierConfig<K, R, S>,
  keys: KeyStore,
): Verifier<Principal<K, R, S>> {
  type P = Principal<K, R, S>;
  const { cache } = config;
  const pending = new Map<string, Promise<P>>();
  // Frozen: a cached principal is shared by every call with the same token.
  const principalOf = claimMapper(config.mapping, config.vocabulary);

  const finish = (jws: CompactJws, key: KeyObject, id: string | undefined): P => {
    const alg = jws.header.alg as string;
    if (!verifySignature(alg, key, jws.signingInput, jws.signature)) throw new AuthenticationError("signature verification failed");
    const validUntil = checkRegisteredClaims(jws.payload, config.policy, Math.floor(Date.now() / 1000));
    const principal = principalOf(jws.payload as JWTPayload, jws.payloadText);
    if (id !== undefined) cache?.set(id, principal, validUntil, key, Date.now());
    return principal;
  };

  const verify = (token: string, id: string | undefined) => {
    if (id !== undefined) {
      const hit = cache?.get(id, Date.now()) ?? pending.get(id);
      if (hit !== undefined) return hit;
    }
    const jws = parseCompact(token);
    const alg = jws.header.alg as string;
    if (!config.algorithms.has(alg)) throw new AuthenticationError(`"alg" ${JSON.stringify(alg)} is not allowed`);
    const key = keys.select(alg, jws.header.kid);
    if (!(key instanceof Promise)) return finish(jws, key, id);
    const verified = key.then((k) => finish(jws, k, id));
    if (id === undefined) return verified;
    pending.set(id, verified);
    const forget = () => pending.delete(id);
    verified.then(forget, forget);
    return verified;
  };
  return {
    idOf: (token) => (cache === undefined ? undefined : TokenCache.keyOf(token)),
    cached: (id) => (id === undefined ? undefined : cache?.get(id, Date.now())),
    verify,
  };
}
