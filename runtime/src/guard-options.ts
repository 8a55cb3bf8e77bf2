// createGuard's options, each checked before the guard starts: every problem
// is a ConfigProblem saying where, what and how to fix it.

import { type ConfigProblem, configProblem, describeError } from "./errors.js";
import type { Authenticate, GuardOptions, ProducedPrincipals } from "./guard-api.js";
import type { RelationChecker, RelationUse } from "./relations.js";
import type { TableEntry } from "./tables.js";
import type { Vocabulary } from "./validate.js";

/** The authenticate option, or a problem: without it nothing can be decided. */
export function authenticateProblems(options: GuardOptions | undefined): ConfigProblem[] {
  if (typeof options?.authenticate === "function") return [];
  return [
    configProblem(
      "createGuard authenticate",
      `authenticate is ${options === undefined || options === null ? "missing (no options)" : typeof options.authenticate}, not a function`,
      "pass authenticate: authenticateWith(…your authenticators) (return undefined from it for anonymous callers)",
    ),
  ];
}

/** A timeout option, or its default; anything but a positive number of milliseconds keeps the guard from starting. */
export function timeoutOption(
  options: Pick<GuardOptions, "authenticateTimeoutMs" | "relationTimeoutMs">,
  name: "authenticateTimeoutMs" | "relationTimeoutMs",
  fallback: number,
  problems: ConfigProblem[],
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > 2_147_483_647) {
    problems.push(configProblem(name, `${name} is ${String(value)}`, `give a positive number of milliseconds (default ${fallback})`));
    return fallback;
  }
  return value;
}

const noChecker =
  'pass relations: createSpiceDBChecker({ client: embeddedClient(…) or clusterClient(…) }) from "protoauthz/spicedb", or your own RelationChecker';

/**
 * The checker, once it has accepted every relation the tables use; problems
 * otherwise. A relation of a rule that admits any kind is handed over with
 * the vocabulary's kinds, so that the checker can report each kind the
 * engine can never hold.
 */
export function acceptedRelationChecker(
  entries: ReadonlyMap<string, TableEntry>,
  checker: RelationChecker | undefined,
  vocabulary: Vocabulary | undefined,
  problems: ConfigProblem[],
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
    for (const procedure of new Set(uses.map((u) => u.procedure))) {
      problems.push(configProblem(procedure, "the rule uses relations, but the guard has no relation checker", noChecker));
    }
    return undefined;
  }
  if (typeof checker !== "object" || checker === null || typeof checker.check !== "function") {
    problems.push(configProblem("relations", "not a RelationChecker: it has no check(principal, queries, options) method", noChecker));
    return undefined;
  }
  let found: readonly unknown[];
  try {
    found = checker.validate?.(uses) ?? [];
  } catch (error) {
    found = [`the relation checker failed to validate the tables' relations: ${describeError(error)}`];
  }
  if (!Array.isArray(found)) found = ["the relation checker's validate returned something that is not a list of problems"];
  for (const problem of found) problems.push(checkerProblem(problem));
  return checker;
}

/** A checker's problem as it gave it: a ConfigProblem, or a line of text (a RelationChecker's validate may return either). */
function checkerProblem(problem: unknown): ConfigProblem {
  const p = problem as Partial<ConfigProblem> | null;
  if (typeof p === "object" && p !== null && typeof p.where === "string" && typeof p.problem === "string" && typeof p.fix === "string") {
    return configProblem(p.where, p.problem, p.fix);
  }
  return Object.freeze({
    where: "relations",
    problem: String(problem),
    fix: "make the relation checker's schema and the rules agree",
    toString: () => String(problem),
  });
}

/**
 * Bindings to attributes the authenticator never produces: every call would
 * be denied `attribute_missing`, so the guard says so when it starts. Only
 * when the authenticator says what it produces (authenticateWith does when
 * every authenticator it composes knows), and only against the principals of
 * the kinds the binding's block admits.
 */
export function unproducibleAttributes(
  entries: ReadonlyMap<string, TableEntry>,
  authenticate: Authenticate<never>,
  problems: ConfigProblem[],
): void {
  if (!Array.isArray(authenticate.produces)) return;
  const produced: readonly ProducedPrincipals[] = authenticate.produces;
  for (const entry of entries.values()) {
    const rule = entry.checked.rule;
    const blocks = rule.access === "authenticated" ? [rule] : rule.access === "any_of" ? rule.alternatives : [];
    const reported = new Set<string>();
    for (const block of blocks) {
      const kinds: readonly string[] = block.principals ?? [];
      const reaching = produced.filter((p) => kinds.length === 0 || p.kinds === undefined || p.kinds.some((k) => kinds.includes(k)));
      // No authenticator produces these kinds at all: a binding is not what is wrong.
      if (reaching.length === 0) continue;
      const carried = new Set(reaching.flatMap((p) => p.attributes));
      for (const { field, attribute } of block.bindings ?? []) {
        if (carried.has(attribute) || reported.has(attribute)) continue;
        reported.add(attribute);
        problems.push(unproducible(entry.procedure, field, attribute, kinds, [...carried].sort()));
      }
    }
  }
}

function unproducible(procedure: string, field: string, attribute: string, kinds: readonly string[], carried: string[]): ConfigProblem {
  const whose = kinds.length === 0 ? "no principal" : `no principal of kind ${kinds.map((k) => `"${k}"`).join(" or ")}`;
  const has = carried.length === 0 ? "they carry no attributes" : `they carry ${carried.map((a) => `"${a}"`).join(", ")}`;
  return configProblem(
    procedure,
    `binding of "${field}" needs the principal attribute "${attribute}", but ${whose} from the configured authenticators carries it (${has}); every call would be denied attribute_missing`,
    `map "${attribute}" in the authenticator (e.g. the JWT authenticator's principal.attributes: { ${attribute}: "<claim>" }), or bind an attribute it produces`,
  );
}
