import { isCrossSiteRequest } from "./cross-site.js";
import { attributed, type Decision, deny } from "./decision.js";
import { describeError, isAuthenticationError } from "./errors.js";

/** An authenticator's throw: invalid credentials, a deadline missed, or an infrastructure failure. */
export function failure(error: unknown): Decision {
  const reason = isAuthenticationError(error)
    ? isCrossSiteRequest(error)
      ? "cross_site_request"
      : "invalid_credentials"
    : error instanceof AuthenticatorTimeout
      ? "authenticator_timeout"
      : "authenticator_failed";
  return attributed(deny(reason), { detail: describeError(error) });
}

class AuthenticatorTimeout extends Error {
  override name = "AuthenticatorTimeout";
}

/** Settles with the authenticator's answer, or rejects at the deadline; a late answer is ignored. */
export function withDeadline<T>(pending: PromiseLike<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new AuthenticatorTimeout(`authenticate did not settle within ${timeoutMs} ms`)), timeoutMs);
    Promise.resolve(pending).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
