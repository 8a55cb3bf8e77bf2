import { AuthzConfigError } from "./errors.js";
import type { GuardOptions } from "./guard.js";
import { describeError } from "./relation-call.js";
import type { RelationChecker } from "./relations.js";
import type { TableEntry } from "./tables.js";

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

/** The checker, once it has accepted every relation the tables use; the guard refuses to start otherwise. */
export function relationCheckerOf(
  entries: ReadonlyMap<string, TableEntry>,
  checker: RelationChecker | undefined,
): RelationChecker | undefined {
  const uses = [...entries.values()].flatMap((entry) => entry.checked.relationUses.map((use) => ({ procedure: entry.procedure, ...use })));
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
