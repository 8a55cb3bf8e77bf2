import { AuthenticationError, configError } from "./errors.js";
import type { Authenticate, AuthnRequest, ProducedPrincipals } from "./guard-api.js";
import type { Principal } from "./principal.js";

/**
 * One way of proving identity (a bearer JWT, a client certificate, an API
 * key). `inspect` says, without verifying, whether the request carries a
 * credential of this kind and whether it is this authenticator's to check
 * (e.g. a JWT from its issuer).
 */
export interface Authenticator<P extends Principal = Principal> {
  readonly name: string;
  /**
   * Where the credential travels: "authorization" for the Authorization
   * header, "header:<name>" for another header, "tls" for the client
   * certificate. Authenticators reading the same place share it: one saying
   * "not-mine" is answered by another saying "mine". Default: `name` (a place
   * of its own, so a "not-mine" is never answered by anyone else).
   */
  readonly credential?: string;
  /**
   * The principals it can produce, when it knows them (the JWT authenticator
   * from its claim mapping, API keys from their principals, mTLS and
   * TokenReview from their options). Undefined (the default for your own)
   * means "cannot say": the guard then checks no binding against it.
   */
  readonly produces?: ProducedPrincipals | undefined;
  inspect(request: AuthnRequest): "absent" | "mine" | "not-mine";
  /**
   * Verifies the credential: throws (or rejects with) AuthenticationError when
   * it is invalid. May answer without a promise, which keeps the guard synchronous.
   */
  authenticate(request: AuthnRequest): P | Promise<P>;
}

/** The principal an authenticator produces; a union over a list of them. */
export type PrincipalOf<A> = A extends Authenticator<infer P> ? P : never;

/**
 * Composes authenticators; every credential presented must be claimed and
 * valid. For each place a credential travels (see `credential`), the first
 * authenticator that claims it verifies it alone: an invalid credential is
 * Unauthenticated and never falls through to a weaker authenticator. A
 * credential nobody claims (a JWT from an unknown issuer, `Authorization:
 * Basic …`) fails the call whatever else is presented, so a valid API key
 * cannot carry a forged token along. When several credentials are valid, the
 * principal is that of the first authenticator listed. Only a request
 * without any credential is anonymous.
 */
export function authenticateWith<P extends Principal>(...authenticators: readonly Authenticator<P>[]): Authenticate<P>;
/** Authenticators of different kinds: the principal is the union of theirs. */
export function authenticateWith<const A extends readonly Authenticator<Principal>[]>(
  ...authenticators: A
): Authenticate<PrincipalOf<A[number]>>;
export function authenticateWith(...authenticators: readonly Authenticator[]): Authenticate<Principal> {
  if (authenticators.length === 0) {
    throw configError("authenticateWith", "no authenticators", "pass at least one, e.g. authenticateWith(createJwtAuthenticator(…))");
  }
  return Object.assign(composed(authenticators), { produces: producedBy(authenticators) });
}

/** What the composition's principals can be: known only when every authenticator says. */
function producedBy(authenticators: readonly Authenticator[]): readonly ProducedPrincipals[] | undefined {
  const produced = authenticators.map((a) => a.produces);
  return produced.every((p): p is ProducedPrincipals => typeof p === "object" && p !== null) ? Object.freeze(produced) : undefined;
}

function composed(authenticators: readonly Authenticator[]): (request: AuthnRequest) => ReturnType<Authenticate<Principal>> {
  if (authenticators.length === 1) return alone(authenticators[0] as Authenticator);
  // Not async: when every claimed authenticator answers without a promise (a
  // cache hit, a local key), so does the composition, and the guard stays synchronous.
  return (request) => {
    const claimed = new Map<string, Authenticator>();
    const unclaimed = new Map<string, string>();
    for (const authenticator of authenticators) {
      const seen = authenticator.inspect(request);
      const place = authenticator.credential ?? authenticator.name;
      if (seen === "mine" && !claimed.has(place)) claimed.set(place, authenticator);
      if (seen === "not-mine" && !unclaimed.has(place)) unclaimed.set(place, authenticator.name);
    }
    // An Authorization header is a credential even where nobody reads it.
    if (request.header.has("authorization") && !unclaimed.has("authorization")) unclaimed.set("authorization", "authorization header");
    for (const [place, name] of unclaimed) {
      if (!claimed.has(place)) throw new AuthenticationError(`${name}: credential presented that no authenticator accepts`);
    }
    if (claimed.size === 0) return undefined;
    const answers: (Principal | Promise<Principal>)[] = [];
    try {
      for (const authenticator of claimed.values()) answers.push(authenticator.authenticate(request));
    } catch (error) {
      // One threw: the answers already pending must not reject unhandled.
      for (const answer of answers) if (answer instanceof Promise) answer.catch(() => {});
      throw error;
    }
    if (!answers.some((answer) => answer instanceof Promise)) return answers[0];
    return Promise.all(answers).then((principals) => principals[0]);
  };
}

/** The rules of authenticateWith for a single authenticator, without building maps on every call. */
function alone(authenticator: Authenticator): (request: AuthnRequest) => ReturnType<Authenticate<Principal>> {
  const place = authenticator.credential ?? authenticator.name;
  return (request) => {
    const seen = authenticator.inspect(request);
    if (seen === "not-mine") throw new AuthenticationError(`${authenticator.name}: credential presented that no authenticator accepts`);
    // An Authorization header this authenticator does not read is a credential nobody claims.
    if ((seen === "absent" || place !== "authorization") && request.header.has("authorization")) {
      throw new AuthenticationError("authorization header: credential presented that no authenticator accepts");
    }
    return seen === "mine" ? authenticator.authenticate(request) : undefined;
  };
}
