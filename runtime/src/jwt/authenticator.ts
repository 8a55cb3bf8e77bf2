import type { Authenticator } from "../authenticator.js";
import { AuthenticationError, configError } from "../errors.js";
import type { AuthnRequest, ProducedPrincipals } from "../guard-api.js";
import type { Principal } from "../principal.js";
import { bearerCandidate, checkCompact } from "./bearer.js";
import { TokenCache, type TokenCacheOptions } from "./cache.js";
import type { ClaimMapping, PrincipalVocabulary } from "./claims.js";
import { parseCompact } from "./compact.js";
import { checkKeyConfig, type KeySource, keyStore } from "./keys.js";
import { createVerifier } from "./verifier.js";

export interface JwtAuthenticatorOptions<K extends string = string, R extends string = string, S extends string = string> {
  /** Shown in audit details and composition errors. Default "jwt". */
  readonly name?: string;
  /** Accepted signing algorithms, explicitly; never "none". */
  readonly algorithms: readonly string[];
  /** Required `iss`. Opt out only by `dangerouslyAcceptAnyIssuer: true`. */
  readonly issuer?: string;
  readonly dangerouslyAcceptAnyIssuer?: boolean;
  /** Required `aud` (one of). Opt out only by `dangerouslyAcceptAnyAudience: true`. */
  readonly audience?: string | readonly string[];
  readonly dangerouslyAcceptAnyAudience?: boolean;
  /** Seconds of clock skew tolerated on exp/nbf/iat. Default 30. */
  readonly clockToleranceSeconds?: number;
  /** When set, `iat` is required and may be at most this many seconds old. */
  readonly maxTokenAgeSeconds?: number;
  /** Tokens whose `exp` is further ahead than this are refused. Default 86400 (24 h). */
  readonly maxTokenLifetimeSeconds?: number;
  /** Largest Authorization header accepted, in bytes. Default 8192. */
  readonly maxTokenBytes?: number;
  /** Verified-token cache; on by default (10,000 tokens, 60 s). `false` verifies every call. */
  readonly cache?: TokenCacheOptions | false;
  readonly key: KeySource;
  readonly principal: ClaimMapping<K>;
  /** The generated `authzVocabulary`: types the principal, drops unknown roles/scopes. */
  readonly vocabulary?: PrincipalVocabulary<R, S>;
}

function seconds(value: number | undefined, fallback: number | undefined, what: string, max: number): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max)
    throw configError(
      `protoauthz/jwt ${what}`,
      `${what} is ${String(value)}`,
      `give a number of seconds from 0 to ${max}`,
      "the JWT authenticator cannot start",
    );
  return value;
}

/**
 * Verifies `Authorization: Bearer <jwt>` on Node's synchronous crypto with
 * keys imported once, and maps its claims to a principal. Misconfiguration
 * throws here, at creation. At request time an invalid token throws
 * AuthenticationError (Unauthenticated); unreachable or slow keys throw a
 * plain Error (Unavailable). Answers synchronously for a cached token or a
 * local key, so the guard stays synchronous too.
 */
export function createJwtAuthenticator<K extends string, R extends string = string, S extends string = string>(
  options: JwtAuthenticatorOptions<K, R, S>,
): Authenticator<Principal<K, R, S>> {
  checkKeyConfig(options.algorithms, options.key);
  if (options.issuer === undefined && options.dangerouslyAcceptAnyIssuer !== true) {
    throw configError(
      "protoauthz/jwt issuer",
      "no issuer",
      "set issuer (or dangerouslyAcceptAnyIssuer: true to accept tokens from anyone holding a key)",
      "the JWT authenticator cannot start",
    );
  }
  if (options.audience === undefined && options.dangerouslyAcceptAnyAudience !== true) {
    throw configError(
      "protoauthz/jwt audience",
      "no audience",
      "set audience (or dangerouslyAcceptAnyAudience: true to accept tokens meant for other services)",
      "the JWT authenticator cannot start",
    );
  }
  if (options.principal === undefined || options.principal.kind === undefined) {
    throw configError(
      "protoauthz/jwt principal.kind",
      "no principal kind",
      'set principal.kind, e.g. principal: { kind: "user" }',
      "the JWT authenticator cannot start",
    );
  }
  const name = options.name ?? "jwt";
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  const cache = options.cache === false ? undefined : new TokenCache<Principal<K, R, S>>(options.cache);
  const verifier = createVerifier(
    {
      algorithms: new Set(options.algorithms),
      policy: {
        issuer: options.issuer,
        audiences: options.audience === undefined ? undefined : [options.audience].flat(),
        toleranceSeconds: seconds(options.clockToleranceSeconds, 30, "clockToleranceSeconds", 300) as number,
        maxTokenAgeSeconds: seconds(options.maxTokenAgeSeconds, undefined, "maxTokenAgeSeconds", 31_536_000),
        maxLifetimeSeconds: seconds(options.maxTokenLifetimeSeconds, 86_400, "maxTokenLifetimeSeconds", 31_536_000) as number,
      },
      mapping: options.principal,
      vocabulary: options.vocabulary,
      cache,
    },
    keyStore(options.algorithms, options.key, (retired) => cache?.evictKeys(retired)),
  );

  const refused = (error: unknown): never => {
    if (error instanceof AuthenticationError) throw new AuthenticationError(`${name}: ${error.message}`, { cause: error });
    throw new Error(`${name}: cannot verify tokens right now: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  };

  // inspect() then authenticate() of one call read the same header: the token
  // and its hash are worked out once. The memo belongs to the call's request
  // object (the adapters make one per call) and only saves pure work: whether
  // the token is cached is asked again at authenticate, so a call that never
  // reached authenticate (another authenticator threw, another header was
  // refused, another guard shares this authenticator) leaves nothing that a
  // later call could be served from.
  let memoRequest: AuthnRequest | undefined;
  let memoHeader: string | undefined;
  let memoToken = "";
  let memoId: string | undefined;
  /** Whether the token was in the cache when remembered: for routing only, never to answer. */
  let memoWasCached = false;
  /** Works out the call's token; returns its cache entry when it looked now (undefined when the memo served or on a miss). */
  const remember = (request: AuthnRequest, header: string | null): Principal<K, R, S> | undefined => {
    if (header === null) throw new AuthenticationError("no bearer token");
    if (request === memoRequest && header === memoHeader) return undefined;
    const token = bearerCandidate(header, maxTokenBytes);
    const id = verifier.idOf(token);
    const hit = verifier.cached(id);
    // A hit is this exact token (same SHA-256), which passed the check when it was verified.
    if (hit === undefined) checkCompact(token);
    memoRequest = request;
    memoHeader = header;
    memoToken = token;
    memoId = id;
    memoWasCached = hit !== undefined;
    return hit;
  };
  const forget = () => {
    memoRequest = memoHeader = memoId = undefined;
    memoToken = "";
    memoWasCached = false;
  };

  return {
    name,
    credential: "authorization",
    // A custom map may add any attribute; otherwise the mapping names them all.
    produces: options.principal.map === undefined ? producedByMapping(options.principal) : undefined,
    inspect(request: AuthnRequest) {
      const header = request.header.get("authorization");
      if (header === null) return "absent";
      if (options.issuer === undefined) return "mine";
      try {
        remember(request, header);
        // A cached token was verified with this issuer: no need to decode it again.
        return memoWasCached || parseCompact(memoToken).payload.iss === options.issuer ? "mine" : "not-mine";
      } catch {
        forget();
        return "not-mine";
      }
    },
    authenticate(request: AuthnRequest) {
      try {
        const header = request.header.get("authorization");
        const fromInspect = request === memoRequest && header === memoHeader;
        const found = remember(request, header);
        const token = memoToken;
        const id = memoId;
        forget();
        // What inspect found is asked again: the entry may have expired or been evicted since.
        const hit = fromInspect ? verifier.cached(id) : found;
        if (hit !== undefined) return hit;
        const principal = verifier.verify(token, id);
        return principal instanceof Promise ? principal.catch(refused) : principal;
      } catch (error) {
        forget();
        return refused(error);
      }
    },
  };
}

/** The principals a claim mapping without a custom `map` can produce. */
function producedByMapping<K extends string>(mapping: ClaimMapping<K>): ProducedPrincipals {
  return {
    kinds: typeof mapping.kind === "string" ? [mapping.kind] : mapping.kind.allowed,
    attributes: Object.keys(mapping.attributes ?? {}),
  };
}
