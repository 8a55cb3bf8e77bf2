import { AuthzConfigError } from "./errors.js";
import type { GuardOptions } from "./guard.js";
import { describeError } from "./relation-call.js";
import type { RelationChecker, RelationUse } from "./relations.js";
import type { TableEntry } from "./tables.js";
import type { Vocabulary } from "./validate.js";

/** A timeout option, or its default; anything but a positive number of milliseconds keeps the guard from starting. */
export function timeoutOption(
  options: Pick<GuardOptions, "authenticateTimeoutMs" | "relationTimeoutMs">,
  name: "authenticateTimeoutMs" | "relationTimeoutMs",
  fallback: number,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > 2_147_483_647) {
    throw new AuthzConfigError([`${name} is ${String(value)}: give a positive number of milliseconds (default ${fallback})`]);
  }
  return value;
}

/**
 * The checker, once it has accepted every relation the tables use; the guard
 * refuses to start otherwise. A relation of a rule that admits any kind is
 * handed over with the vocabulary's kinds, so that the checker can report
 * each kind the engine can never hold.
 */
export function relationCheckerOf(
  entries: ReadonlyMap<string, TableEntry>,
  checker: RelationChecker | undefined,
  vocabulary?: Vocabulary,
): RelationChecker | undefined {
  const kinds = vocabulary?.principals;
  const uses = [...entries.values()].flatMap((entry) =>
    entry.checked.relationUses.map(
      (use): RelationUse =>
        use.principals.length === 0 && kinds !== undefined && kinds.length > 0
          ? { procedure: entry.procedure, ...use, principals: kinds, anyKind: true }
          : { procedure: entry.procedure, ...use },
    ),
  );
  if (checker === undefined) {
    if (uses.length === 0) return undefined;
    const procedures = [...new Set(uses.map((u) => u.procedure))];
    throw new AuthzConfigError(
      procedures.map((p) => `${p}: the rule uses relations, but the guard has no relation checker (pass relations: a RelationChecker)`),
    );
  }
  if (typeof checker !== "object" || checker === null || typeof checker.check !== "function") {
    throw new AuthzConfigError(["relations is not a RelationChecker: it needs a check(principal, queries, options) method"]);
  }
  let problems: readonly string[];
  try {
    problems = checker.validate?.(uses) ?? [];
  } catch (error) {
    problems = [`the relation checker failed to validate the tables' relations: ${describeError(error)}`];
  }
  if (!Array.isArray(problems)) problems = ["the relation checker's validate returned something that is not a list of problems"];
  if (problems.length > 0) throw new AuthzConfigError(problems.map(String));
  return checker;
}
