import { AuthenticationError } from "../errors.js";
import type { RequestHeaders } from "../guard.js";

/** Compact JWS: three base64url parts. */
const bearer = /^bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

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
  if (value.length > maxBytes) throw new AuthenticationError(`authorization header longer than ${maxBytes} bytes`);
  const match = bearer.exec(value.trim());
  if (match === null) throw new AuthenticationError("authorization header is not exactly one 'Bearer <jwt>'");
  return match[1] as string;
}
