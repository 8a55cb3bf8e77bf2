import { decodeJwt, errors, type JWTVerifyOptions, jwtVerify } from "jose";
import type { Authenticator } from "../authenticator.js";
import { AuthenticationError } from "../errors.js";
import type { AuthnRequest } from "../guard.js";
import type { Principal } from "../principal.js";
import { bearerToken } from "./bearer.js";
import { type ClaimMapping, type PrincipalVocabulary, principalFromClaims } from "./claims.js";
import { checkKeyConfig, type KeySource, keyResolver } from "./keys.js";

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
  /** Seconds of clock skew tolerated on exp/nbf. Default 30. */
  readonly clockToleranceSeconds?: number;
  /** Largest Authorization header accepted, in bytes. Default 8192. */
  readonly maxTokenBytes?: number;
  readonly key: KeySource;
  readonly principal: ClaimMapping<K>;
  /** The generated `authzVocabulary`: types the principal, drops unknown roles/scopes. */
  readonly vocabulary?: PrincipalVocabulary<R, S>;
}

/** jose error codes that mean "this credential is bad", not "we could not check". */
const credentialErrors = new Set([
  "ERR_JWT_EXPIRED",
  "ERR_JWT_CLAIM_VALIDATION_FAILED",
  "ERR_JWT_INVALID",
  "ERR_JWS_INVALID",
  "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JOSE_NOT_SUPPORTED",
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
]);

/**
 * Verifies `Authorization: Bearer <jwt>` with jose and maps its claims to a
 * principal. Misconfiguration throws here, at creation. At request time an
 * invalid token throws AuthenticationError (Unauthenticated); unreachable or
 * slow keys throw a plain Error (Unavailable).
 */
export function createJwtAuthenticator<K extends string, R extends string = string, S extends string = string>(
  options: JwtAuthenticatorOptions<K, R, S>,
): Authenticator<Principal<K, R, S>> {
  checkKeyConfig(options.algorithms, options.key);
  if (options.issuer === undefined && options.dangerouslyAcceptAnyIssuer !== true) {
    throw new TypeError("protoauthz/jwt: set issuer (or dangerouslyAcceptAnyIssuer: true to accept tokens from anyone holding a key)");
  }
  if (options.audience === undefined && options.dangerouslyAcceptAnyAudience !== true) {
    throw new TypeError("protoauthz/jwt: set audience (or dangerouslyAcceptAnyAudience: true to accept tokens meant for other services)");
  }
  if (options.principal === undefined || options.principal.kind === undefined) {
    throw new TypeError('protoauthz/jwt: set principal.kind, e.g. principal: { kind: "user" }');
  }
  const name = options.name ?? "jwt";
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  const verifyOptions: JWTVerifyOptions = {
    algorithms: [...options.algorithms],
    clockTolerance: options.clockToleranceSeconds ?? 30,
    requiredClaims: ["exp", "sub"],
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: typeof options.audience === "string" ? options.audience : [...options.audience] }),
  };
  const key = keyResolver(options.algorithms, options.key);
  key.catch(() => {}); // a bad key surfaces on use, as Unavailable

  return {
    name,
    credential: "authorization",
    inspect(request: AuthnRequest) {
      if (!request.header.has("authorization")) return "absent";
      if (options.issuer === undefined) return "mine";
      try {
        const token = bearerToken(request.header, maxTokenBytes);
        return token !== undefined && decodeJwt(token).iss === options.issuer ? "mine" : "not-mine";
      } catch {
        return "not-mine";
      }
    },
    async authenticate(request: AuthnRequest) {
      const token = bearerToken(request.header, maxTokenBytes);
      if (token === undefined) throw new AuthenticationError(`${name}: no bearer token`);
      let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
      try {
        const resolved = await key;
        payload = (
          typeof resolved === "function" ? await jwtVerify(token, resolved, verifyOptions) : await jwtVerify(token, resolved, verifyOptions)
        ).payload;
      } catch (error) {
        if (error instanceof errors.JOSEError && credentialErrors.has(error.code)) {
          throw new AuthenticationError(`${name}: ${error.message}`, { cause: error });
        }
        throw new Error(`${name}: cannot verify tokens right now: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      try {
        return principalFromClaims(payload, options.principal, options.vocabulary);
      } catch (error) {
        if (error instanceof AuthenticationError) throw new AuthenticationError(`${name}: ${error.message}`);
        throw error;
      }
    },
  };
}
