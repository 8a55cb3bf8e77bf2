import { type DescMethod, ScalarType } from "@bufbuild/protobuf";
import type { CheckedRule, FieldReaderFactory } from "./checked-rule.js";
import { conditionCompiler } from "./conditions/condition.js";
import { checkRule } from "./decide.js";
import { AuthzConfigError, type ConfigProblem, configProblem, describeError } from "./errors.js";
import { readFieldPath, resolveFieldPath } from "./field-path.js";
import { procedurePath } from "./procedure-path.js";
import type { MethodRule, Requirements, Rule, RuleSource, ServiceAuthz } from "./rule.js";
import { checkRuleShape } from "./rule-shape.js";
import { type RuleProblem, RuleValidator, type Vocabulary } from "./validate.js";

/** A method's rule, prepared for the guard. */
export interface TableEntry {
  readonly procedure: string;
  readonly method: DescMethod;
  readonly source: RuleSource;
  readonly checked: CheckedRule;
}

/**
 * Validates tables and indexes them by procedure. Every problem is collected,
 * then reported at once; a guard with any problem does not start.
 */
export function compileTables(tables: readonly ServiceAuthz[], vocabulary?: Vocabulary): ReadonlyMap<string, TableEntry> {
  const problems: ConfigProblem[] = [];
  const entries = new Map<string, TableEntry>();
  const services = new Set<string>();
  // Every condition is compiled right after validation, from its own check.
  const validator = new RuleValidator(vocabulary, undefined, { shareChecks: false });
  if (!Array.isArray(tables as unknown))
    throw new AuthzConfigError([configProblem("tables", "the tables are not an array", "pass [defineServiceAuthz(service, rules), …]")]);
  for (const table of tables) {
    const service = table?.service;
    if (service?.kind !== "service" || typeof table.rules !== "object" || table.rules === null) {
      problems.push(configProblem("tables", "a table is not a ServiceAuthz", "build it with defineServiceAuthz(service, rules)"));
      continue;
    }
    if (services.has(service.typeName)) {
      problems.push(configProblem(service.typeName, "the service is in two tables", "pass each service once"));
      continue;
    }
    services.add(service.typeName);
    const rules = table.rules as Record<string, MethodRule<unknown> | undefined>;
    // A set, not a scan per rule: a 5,000-method service must not cost 25 million comparisons at start.
    const methodNames = new Set(service.methods.map((m) => m.localName));
    for (const name of Object.keys(rules)) {
      if (!methodNames.has(name)) {
        problems.push(configProblem(service.typeName, `rule for "${name}", which the service does not have`, "remove it"));
      }
    }
    for (const method of service.methods) {
      const where = `${service.typeName}.${method.name}`;
      const rule = Object.hasOwn(rules, method.localName) ? rules[method.localName] : undefined;
      if (rule === undefined || rule === null || typeof rule !== "object") {
        problems.push(configProblem(where, "no rule", `add "${method.localName}" to the table`));
        continue;
      }
      let checked: CheckedRule | undefined;
      try {
        // Shape first: validateRule may then read the rule as its type says.
        const ruleProblems: RuleProblem[] = checkRuleShape(rule);
        if (ruleProblems.length === 0) ruleProblems.push(...validator.validate(rule, method.input));
        for (const p of ruleProblems) problems.push(configProblem(where, p.problem, p.fix, p.excerpt));
        if (ruleProblems.length === 0) checked = checkRule(copyRule(rule), readerFor(method), conditionCompiler(method.input));
      } catch (error) {
        // A getter in a hand-written table: still one listed problem, never a crash.
        problems.push(
          configProblem(
            where,
            `the rule cannot be read: ${describeError(error)}`,
            "write the rule as a plain object literal, without getters",
          ),
        );
      }
      if (checked === undefined) continue;
      entries.set(
        procedurePath(method),
        Object.freeze({ procedure: procedurePath(method), method, source: rule.source ?? "code", checked }),
      );
    }
  }
  if (problems.length > 0) throw new AuthzConfigError(problems);
  return entries;
}

/** Readers for the fields a rule names: its own accessor where it has one, else one derived from the descriptor. */
function readerFor(method: DescMethod): FieldReaderFactory {
  return (path, read) => {
    const resolved = resolveFieldPath(method.input, path);
    // validateRule has already rejected unresolvable paths.
    const fields = resolved.ok ? resolved.fields : [];
    const last = fields.at(-1);
    return Object.freeze({
      read: (read as ((request: unknown) => unknown) | undefined) ?? (resolved.ok ? readFieldPath(fields) : () => undefined),
      integer: last?.fieldKind === "scalar" && last.scalar !== ScalarType.STRING,
    });
  };
}

/** A frozen copy, so a table mutated after the guard starts changes nothing. */
function copyRule(rule: Rule<unknown>): Rule<unknown> {
  switch (rule.access) {
    case "public":
    case "deny":
    case "audit":
      return Object.freeze({ access: rule.access, reason: rule.reason });
    case "authenticated":
      return Object.freeze({ access: "authenticated", ...copyRequirements(rule) });
    case "any_of":
      return Object.freeze({ access: "any_of", alternatives: Object.freeze(rule.alternatives.map(copyRequirements)) });
  }
}

function copyRequirements(requirements: Requirements<unknown>): Requirements<unknown> {
  return Object.freeze({
    principals: Object.freeze([...(requirements.principals ?? [])]),
    scopes: Object.freeze([...(requirements.scopes ?? [])]),
    roles: Object.freeze([...(requirements.roles ?? [])]),
    bindings: Object.freeze(
      (requirements.bindings ?? []).map(({ field, attribute, read }) => Object.freeze({ field, attribute, ...(read ? { read } : {}) })),
    ),
    conditions: Object.freeze([...(requirements.conditions ?? [])]),
    relations: Object.freeze(
      (requirements.relations ?? []).map(({ resourceType, idField, permission, read }) =>
        Object.freeze({ resourceType, idField, permission, ...(read ? { read } : {}) }),
      ),
    ),
  });
}
