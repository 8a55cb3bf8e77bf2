/**
 * The library's errors carry a brand under a registry symbol, so they are
 * recognized by what they are, not by which copy of the package made them:
 * an AuthenticationError thrown by an authenticator from a second copy (a
 * bundled dependency, a duplicated install) is still Unauthenticated, never
 * turned into Unavailable by a failed `instanceof`.
 */
export const brand = Symbol.for("protoauthz.error");

export type Brand = "AuthenticationError" | "AuthzConfigError" | "RelationRefusal";

export function hasBrand(value: unknown, name: Brand): boolean {
  return typeof value === "object" && value !== null && (value as { [brand]?: unknown })[brand] === name;
}

/** `instanceof` on the class itself follows the brand; on a subclass it is the usual prototype check. */
export function brandedInstanceOf(cls: object, base: object, name: Brand, value: unknown): boolean {
  return cls === base ? hasBrand(value, name) : Function.prototype[Symbol.hasInstance].call(cls, value);
}

/**
 * Thrown by an authenticator when credentials were presented but are not
 * valid: the call fails with Unauthenticated and never falls through to a
 * weaker authenticator. The message goes to audit events, not to the caller.
 * Any other error thrown by an authenticator counts as an infrastructure
 * failure (Unavailable).
 */
export class AuthenticationError extends Error {
  override name = "AuthenticationError";
  readonly [brand]: Brand = "AuthenticationError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof asks about, a subclass included
    return brandedInstanceOf(this, AuthenticationError, "AuthenticationError", value);
  }
}

/** Whether `error` is an AuthenticationError from any copy of protoauthz. */
export function isAuthenticationError(error: unknown): error is AuthenticationError {
  return hasBrand(error, "AuthenticationError");
}

/**
 * One thing wrong with the configuration, kept structured until printed:
 * where it is (a procedure, an option), what is wrong, and how to fix it.
 */
export interface ConfigProblem {
  /** The method ("pkg.Service.Method", "/pkg.Service/Method") or option ("protoauthz/jwt issuer") at fault. */
  readonly where: string;
  readonly problem: string;
  readonly fix: string;
  /** Lines shown under it: a condition with a caret under what is wrong. */
  readonly excerpt?: string;
  /** "where: problem (fix)", then the excerpt's lines. */
  toString(): string;
}

/** A ConfigProblem; the one way problems are built, so every one prints the same. */
export function configProblem(where: string, problem: string, fix: string, excerpt?: string): ConfigProblem {
  return Object.freeze({ where, problem, fix, ...(excerpt === undefined ? {} : { excerpt }), toString: printProblem });
}

function printProblem(this: ConfigProblem): string {
  return `${this.where}: ${this.problem} (${this.fix})${this.excerpt === undefined ? "" : `\n${this.excerpt}`}`;
}

/**
 * The configuration cannot be enforced: a method without a rule, a rule for
 * a method the service does not have, an invalid rule, a service in two
 * tables, an option out of range. Nothing starts; `problems` lists them all.
 */
export class AuthzConfigError extends Error {
  override name = "AuthzConfigError";
  readonly [brand]: Brand = "AuthzConfigError";
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown; what?: string }) {
    const what = options?.what ?? "the guard cannot start";
    super(`protoauthz: ${what}:\n${problems.map((p) => `  - ${String(p)}`).join("\n")}`, options);
    this.problems = Object.freeze([...problems]);
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof asks about, a subclass included
    return brandedInstanceOf(this, AuthzConfigError, "AuthzConfigError", value);
  }
}

/** Whether `error` is an AuthzConfigError from any copy of protoauthz. */
export function isAuthzConfigError(error: unknown): error is AuthzConfigError {
  return hasBrand(error, "AuthzConfigError");
}

/** Throws one AuthzConfigError for a single problem: for options checked one by one. */
export function configError(where: string, problem: string, fix: string, what?: string): AuthzConfigError {
  return new AuthzConfigError([configProblem(where, problem, fix)], what === undefined ? {} : { what });
}

/** For audit and problem lists: the error's name and message, never its stack; never throws. */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return "an error that cannot be described";
  }
}
