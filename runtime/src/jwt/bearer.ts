import { AuthenticationError } from "../errors.js";
import type { RequestHeaders } from "../guard.js";

/** The Bearer scheme in any case, then spaces. */
const scheme = /^bearer +/iy;
/** Compact JWS: three base64url parts. */
const compact = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The bearer token of an Authorization header, or undefined when there is no
 * such header. Exactly one header (repeated ones arrive joined by ", "), the
 * Bearer scheme in any case, one compact JWT, at most `maxBytes`.
 */
export function bearerToken(header: RequestHeaders, maxBytes: number): string | undefined {
  const value = header.get("authorization");
  return value === null ? undefined : bearerTokenOf(value, maxBytes);
}

/** The bearer token of an Authorization header's value, by the rules of `bearerToken`. */
export function bearerTokenOf(value: string, maxBytes: number): string {
  const token = bearerCandidate(value, maxBytes);
  checkCompact(token);
  return token;
}

/**
 * What follows the Bearer scheme, not yet checked to be a compact JWT. The
 * verified-token cache looks this up first: a hit is a token that passed
 * `checkCompact` when it was verified.
 */
export function bearerCandidate(value: string, maxBytes: number): string {
  if (value.length > maxBytes) throw new AuthenticationError(`authorization header longer than ${maxBytes} bytes`);
  // test() and lastIndex instead of a capture: no match array per call.
  const trimmed = value.trim();
  scheme.lastIndex = 0;
  if (!scheme.test(trimmed)) throw notOneBearer();
  return trimmed.slice(scheme.lastIndex);
}

export function checkCompact(token: string): void {
  if (!compact.test(token)) throw notOneBearer();
}

const notOneBearer = () => new AuthenticationError("authorization header is not exactly one 'Bearer <jwt>'");
