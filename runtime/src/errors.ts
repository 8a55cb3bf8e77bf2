/**
 * Thrown by an authenticator when credentials were presented but are not
 * valid: the call fails with Unauthenticated and never falls through to a
 * weaker authenticator. The message goes to audit events, not to the caller.
 * Any other error thrown by an authenticator counts as an infrastructure
 * failure (Unavailable).
 */
export class AuthenticationError extends Error {
  override name = "AuthenticationError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A guard was configured with tables it cannot enforce: a method without a
 * rule, a rule for a method the service does not have, an invalid rule, or a
 * service in two tables. The guard refuses to start; `problems` lists them all.
 */
export class AuthzConfigError extends Error {
  override name = "AuthzConfigError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(`protoauthz: the guard cannot start:\n${problems.map((p) => `  - ${p}`).join("\n")}`, options);
    this.problems = problems;
  }
}
