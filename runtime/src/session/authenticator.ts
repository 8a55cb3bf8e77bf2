import type { Authenticator } from "../authenticator.js";
import { CrossSiteRequestError } from "../cross-site.js";
import { AuthenticationError, AuthzConfigError, configProblem } from "../errors.js";
import type { AuthnRequest, RequestHeaders } from "../guard-api.js";
import type { Principal } from "../principal.js";
import { isThenable } from "../thenable.js";
import { cookieValues, isCookieName } from "./cookies.js";
import { type CsrfOptions, crossSiteRefusal, csrfPolicy, csrfPolicyProblems, type OptionProblem } from "./csrf.js";

/** Resolves an opaque session id to its principal; undefined for an unknown, expired or revoked session. */
export type SessionResolver<P extends Principal> = (sessionId: string, request: AuthnRequest) => P | undefined | Promise<P | undefined>;

export interface SessionCookieOptions<P extends Principal> {
  /** Shown in audit details and composition errors. Default "session-cookie". */
  readonly name?: string;
  /** The cookie's name, e.g. "__Host-session" (the `__Host-` prefix pins it to the API's host: recommended). */
  readonly cookie: string;
  /**
   * The cookie holds a JWT: pass the bearer authenticator from
   * `createJwtAuthenticator`. The cookie's token is verified by that very
   * authenticator, exactly as a bearer token: same keys, issuer, audience,
   * verified-token cache and claim mapping.
   */
  readonly jwt?: Authenticator<P>;
  /** The cookie holds an opaque session id: your lookup. Give `jwt` or `resolve`, not both. */
  readonly resolve?: SessionResolver<P>;
  /** CSRF defence: which requests may carry the cookie besides same-origin ones. Always on. */
  readonly csrf?: CsrfOptions;
  /** Largest cookie value accepted, in bytes. Default 8192. */
  readonly maxCookieBytes?: number;
}

/**
 * A session cookie as a credential: a place of its own (`cookie:<name>`), so
 * under authenticateWith a cookie and a bearer token on one call are both
 * verified, and a cookie nobody accepts (a JWT from another issuer) fails the
 * call. Every call carrying the cookie must show it came from an allowed
 * origin (see CsrfOptions), else it is Unauthenticated, audited as
 * `cross_site_request`; a GET carries it only to RPCs declared
 * `idempotency_level = NO_SIDE_EFFECTS`. Calls without the cookie (bearer
 * tokens, which no other site can set) are not this authenticator's concern.
 */
export function createSessionCookieAuthenticator<P extends Principal>(options: SessionCookieOptions<P>): Authenticator<P> {
  const name = options?.name ?? "session-cookie";
  checkOptions(options);
  const { cookie, jwt, resolve } = options;
  const policy = csrfPolicy(options.csrf);
  const maxBytes = options.maxCookieBytes ?? 8192;
  // inspect and authenticate of one call hand the JWT authenticator the same
  // request object, so its per-call memo works as it does for a bearer header.
  const asBearer = new WeakMap<AuthnRequest, AuthnRequest>();
  const bearerRequest = (request: AuthnRequest, value: string): AuthnRequest => {
    let found = asBearer.get(request);
    if (found === undefined) asBearer.set(request, (found = withBearer(request, value)));
    return found;
  };

  /** The one value of the cookie; throws when it is repeated, empty or too long. */
  const sessionValue = (request: AuthnRequest): string => {
    const values = cookieValues(request.header, cookie);
    if (values.length !== 1)
      throw new AuthenticationError(`${name}: the ${cookie} cookie is sent ${values.length} times (exactly one accepted)`);
    const value = values[0] as string;
    if (value === "" || value.length > maxBytes)
      throw new AuthenticationError(`${name}: the ${cookie} cookie is empty or longer than ${maxBytes} bytes`);
    return value;
  };

  return {
    name,
    credential: `cookie:${cookie}`,
    inspect(request) {
      const values = cookieValues(request.header, cookie);
      if (values.length === 0) return "absent";
      // A cross-site request, or a malformed cookie, is refused by authenticate with its own reason.
      if (jwt === undefined || values.length !== 1 || crossSiteRefusal(request, policy) !== undefined) return "mine";
      return jwt.inspect(bearerRequest(request, values[0] as string));
    },
    authenticate(request) {
      const refusal = crossSiteRefusal(request, policy);
      if (refusal !== undefined) throw new CrossSiteRequestError(`${name}: ${refusal}`);
      const value = sessionValue(request);
      if (jwt !== undefined) return jwt.authenticate(bearerRequest(request, value));
      return resolved(name, (resolve as SessionResolver<P>)(value, request));
    },
  };
}

/** The resolver's answer: a principal, or Unauthenticated for a session it does not know. */
function resolved<P extends Principal>(name: string, answer: P | undefined | Promise<P | undefined>): P | Promise<P> {
  const check = (principal: P | undefined): P => {
    if (principal === undefined || principal === null) throw new AuthenticationError(`${name}: unknown or expired session`);
    return principal;
  };
  return isThenable(answer) ? Promise.resolve(answer).then(check) : check(answer);
}

/** The call as the JWT authenticator reads it: the cookie's token in an Authorization header, nothing else. */
function withBearer(request: AuthnRequest, token: string): AuthnRequest {
  const authorization = `Bearer ${token}`;
  const header: RequestHeaders = {
    get: (key) => (key.toLowerCase() === "authorization" ? authorization : null),
    has: (key) => key.toLowerCase() === "authorization",
    forEach: (callback, thisArg) => callback.call(thisArg, authorization, "authorization", header as Headers),
  };
  return { procedure: request.procedure, header, peer: request.peer, httpMethod: request.httpMethod, noSideEffects: request.noSideEffects };
}

function checkOptions<P extends Principal>(options: SessionCookieOptions<P> | undefined): void {
  const problems: OptionProblem[] = [];
  if (!isCookieName(options?.cookie)) problems.push(["cookie", "is not a cookie name", 'give the cookie\'s name, e.g. "__Host-session"']);
  const jwt = options?.jwt;
  const resolve = options?.resolve;
  if ((jwt === undefined) === (resolve === undefined)) {
    problems.push([
      "jwt, resolve",
      "needs exactly one of them",
      "give jwt when the cookie holds a JWT, resolve when it holds a session id",
    ]);
  }
  if (jwt !== undefined && (typeof jwt?.authenticate !== "function" || jwt.credential !== "authorization")) {
    problems.push(["jwt", "is not a bearer JWT authenticator", "pass the authenticator createJwtAuthenticator (protoauthz/jwt) returned"]);
  }
  if (resolve !== undefined && typeof resolve !== "function") {
    problems.push(["resolve", "is not a function", "give (sessionId, request) => principal | undefined"]);
  }
  const max = options?.maxCookieBytes;
  if (max !== undefined && !(Number.isInteger(max) && max > 0 && max <= 65_536)) {
    problems.push(["maxCookieBytes", `is ${String(max)}`, "give an integer from 1 to 65536 (default 8192)"]);
  }
  problems.push(...csrfPolicyProblems(options?.csrf));
  if (problems.length > 0) {
    throw new AuthzConfigError(
      problems.map(([where, problem, fix]) => configProblem(`protoauthz/session ${where}`, problem, fix)),
      { what: "the session cookie authenticator cannot start" },
    );
  }
}
