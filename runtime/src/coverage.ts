// Whether a server serves exactly what its guard has rules for, over lists of
// procedures; each adapter lists what its server serves (servedByConnectRouter
// in protoauthz/connect, servedByGrpcServer in protoauthz/grpc-js).

import type { Guard } from "./guard-api.js";

/** The gaps between what a server serves and what its guard has rules for. */
export interface Coverage {
  /** Served, but no rule: every call is denied (no_rule), or the table is missing. */
  readonly unguarded: readonly string[];
  /** A rule, but not served: a stale table, or a service left unregistered. */
  readonly unserved: readonly string[];
}

/** Thrown by assertCoverage; the message lists every gap. */
export class AuthzCoverageError extends Error {
  override name = "AuthzCoverageError";
  constructor(
    readonly coverage: Coverage,
    options?: { cause?: unknown },
  ) {
    super(
      [
        "protoauthz: the guard and the server disagree:",
        ...coverage.unguarded.map((p) => `  served without a rule: ${p}`),
        ...coverage.unserved.map((p) => `  rule for a method not served: ${p}`),
      ].join("\n"),
      options,
    );
  }
}

/** Both directions at once: served without a rule, and rules not served. */
export function checkCoverage(guard: Guard | { readonly guard: Guard }, served: Iterable<string>): Coverage {
  const procedures = "guard" in guard ? guard.guard.procedures : guard.procedures;
  const servedSet = new Set(served);
  return {
    unguarded: [...servedSet].filter((p) => !procedures.has(p)).sort(),
    unserved: [...procedures].filter((p) => !servedSet.has(p)).sort(),
  };
}

/**
 * For a test in your suite: fails with every gap listed when the server
 * serves a method the guard has no rule for, or the guard has rules for
 * methods the server does not serve. `allowUnserved` names procedures a
 * server deliberately leaves out (e.g. served by another process).
 */
export function assertCoverage(
  guard: Guard | { readonly guard: Guard },
  served: Iterable<string>,
  options: { allowUnserved?: readonly string[] } = {},
): void {
  const coverage = checkCoverage(guard, served);
  const allowed = new Set(options.allowUnserved ?? []);
  const gaps = { unguarded: coverage.unguarded, unserved: coverage.unserved.filter((p) => !allowed.has(p)) };
  if (gaps.unguarded.length > 0 || gaps.unserved.length > 0) throw new AuthzCoverageError(gaps);
}
