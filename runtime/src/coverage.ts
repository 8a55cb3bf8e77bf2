import type { DescMethod } from "@bufbuild/protobuf";
import type { Guard } from "./guard.js";
import { procedureOf } from "./tables.js";

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

/** The procedures a Connect router serves (`createConnectRouter()` after your routes ran). */
export function servedByConnectRouter(router: { readonly handlers: readonly { readonly method: DescMethod }[] }): string[] {
  return router.handlers.map((h) => procedureOf(h.method));
}

/** The procedures added to a grpc-js server with addService / register. */
export function servedByGrpcServer(server: object): string[] {
  const handlers = (server as { handlers?: unknown }).handlers;
  if (!(handlers instanceof Map)) {
    throw new TypeError(
      'protoauthz: cannot read this grpc-js server\'s handlers; pass its procedures ("/pkg.Service/Method") to checkCoverage instead',
    );
  }
  return [...handlers.keys()] as string[];
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
