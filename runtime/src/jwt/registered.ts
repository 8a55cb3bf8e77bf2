import { AuthenticationError } from "../errors.js";

/** The registered-claim rules one authenticator enforces (RFC 7519 §4.1). */
export interface ClaimPolicy {
  readonly issuer: string | undefined;
  readonly audiences: readonly string[] | undefined;
  readonly toleranceSeconds: number;
  readonly maxTokenAgeSeconds: number | undefined;
  readonly maxLifetimeSeconds: number;
}

const numeric = (payload: Readonly<Record<string, unknown>>, claim: string): number | undefined => {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw new AuthenticationError(`"${claim}" claim must be a number`);
  return value;
};

/**
 * Checks exp, sub, iss, aud, nbf, iat (jose's rules, same tolerance) plus the
 * lifetime and age limits, at `now` (seconds). Returns the last second at
 * which the token is still acceptable without tolerance, for the cache.
 */
export function checkRegisteredClaims(payload: Readonly<Record<string, unknown>>, policy: ClaimPolicy, now: number): number {
  const required = ["exp", "sub"];
  if (policy.issuer !== undefined) required.push("iss");
  if (policy.audiences !== undefined) required.push("aud");
  if (policy.maxTokenAgeSeconds !== undefined) required.push("iat");
  for (const claim of required) {
    if (!Object.hasOwn(payload, claim)) throw new AuthenticationError(`missing required "${claim}" claim`);
  }
  if (policy.issuer !== undefined && payload.iss !== policy.issuer) throw new AuthenticationError('unexpected "iss" claim value');
  if (policy.audiences !== undefined) {
    const aud = payload.aud;
    const audiences = policy.audiences;
    const ok = typeof aud === "string" ? audiences.includes(aud) : Array.isArray(aud) && audiences.some((a) => aud.includes(a));
    if (!ok) throw new AuthenticationError('unexpected "aud" claim value');
  }
  const tolerance = policy.toleranceSeconds;
  const iat = numeric(payload, "iat");
  const nbf = numeric(payload, "nbf");
  if (nbf !== undefined && nbf > now + tolerance) throw new AuthenticationError('"nbf" claim timestamp check failed');
  const exp = numeric(payload, "exp") as number; // required above
  if (exp <= now - tolerance) throw new AuthenticationError('"exp" claim timestamp check failed');
  // Absurd values (1e308) fail here too: no token may live longer than the limit.
  if (exp - now > policy.maxLifetimeSeconds + tolerance) {
    throw new AuthenticationError(`"exp" claim is more than ${policy.maxLifetimeSeconds} s ahead (maxTokenLifetimeSeconds)`);
  }
  let until = exp;
  if (policy.maxTokenAgeSeconds !== undefined) {
    const age = now - (iat as number);
    if (age - tolerance > policy.maxTokenAgeSeconds)
      throw new AuthenticationError('"iat" claim timestamp check failed (too far in the past)');
    if (age < -tolerance) throw new AuthenticationError('"iat" claim timestamp check failed (it should be in the past)');
    until = Math.min(until, (iat as number) + policy.maxTokenAgeSeconds);
  }
  return until;
}
