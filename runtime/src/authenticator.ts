import { AuthenticationError } from "./errors.js";
import type { Authenticate, AuthnRequest } from "./guard.js";
import type { Principal } from "./principal.js";

/**
 * One way of proving identity (a bearer JWT, a client certificate, an API
 * key). `inspect` says, without verifying, whether the request carries a
 * credential of this kind and whether it is this authenticator's to check
 * (e.g. a JWT from its issuer).
 */
export interface Authenticator<P extends Principal = Principal> {
  readonly name: string;
  inspect(request: AuthnRequest): "absent" | "mine" | "not-mine";
  /**
   * Verifies the credential: throws (or rejects with) AuthenticationError when
   * it is invalid. May answer without a promise, which keeps the guard synchronous.
   */
  authenticate(request: AuthnRequest): P | Promise<P>;
}

/**
 * Tries authenticators in order. The first that claims the credential decides
 * alone: an invalid credential is Unauthenticated and never falls through to
 * the next (weaker) authenticator. A credential none claims is rejected too,
 * as is any Authorization header; only a request without any credential is
 * anonymous.
 */
export function authenticateWith<P extends Principal>(...authenticators: readonly Authenticator<P>[]): Authenticate<P> {
  if (authenticators.length === 0) throw new TypeError("protoauthz: authenticateWith needs at least one authenticator");
  // Not async: a synchronous authenticator keeps the whole call synchronous.
  return (request) => {
    let unclaimed: string | undefined;
    for (const authenticator of authenticators) {
      const seen = authenticator.inspect(request);
      if (seen === "mine") return authenticator.authenticate(request);
      if (seen === "not-mine") unclaimed ??= authenticator.name;
    }
    if (unclaimed !== undefined) throw new AuthenticationError(`${unclaimed}: credential presented that no authenticator accepts`);
    // An Authorization header is a credential even where nobody reads it.
    if (request.header.has("authorization"))
      throw new AuthenticationError("authorization header presented, but no authenticator accepts it");
    return undefined;
  };
}
