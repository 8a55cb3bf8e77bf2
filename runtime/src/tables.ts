import type { DescMethod } from "@bufbuild/protobuf";
import { type BoundField, type CheckedRule, checkRule } from "./decide.js";
import { AuthzConfigError } from "./errors.js";
import { readFieldPath, resolveFieldPath } from "./field-path.js";
import type { MethodRule, Requirements, Rule, RuleSource, ServiceAuthz } from "./rule.js";
import { type Vocabulary, validateRule } from "./validate.js";

/** A method's rule, prepared for the guard. */
export interface TableEntry {
  readonly procedure: string;
  readonly method: DescMethod;
  readonly source: RuleSource;
  readonly checked: CheckedRule;
  readonly hasBindings: boolean;
}

/** "/pkg.Service/Method": the gRPC path, computed from the descriptor. */
export function procedureOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * Validates tables and indexes them by procedure. Every problem is collected,
 * then reported at once; a guard with any problem does not start.
 */
export function compileTables(tables: readonly ServiceAuthz[], vocabulary?: Vocabulary): ReadonlyMap<string, TableEntry> {
  const problems: string[] = [];
  const entries = new Map<string, TableEntry>();
  const services = new Set<string>();
  for (const table of tables) {
    const service = table?.service;
    if (service?.kind !== "service" || typeof table.rules !== "object" || table.rules === null) {
      problems.push("a table is not a ServiceAuthz: build it with defineServiceAuthz(service, rules)");
      continue;
    }
    if (services.has(service.typeName)) {
      problems.push(`${service.typeName}: the service is in two tables (pass each service once)`);
      continue;
    }
    services.add(service.typeName);
    const rules = table.rules as Record<string, MethodRule<unknown> | undefined>;
    for (const name of Object.keys(rules)) {
      if (!service.methods.some((m) => m.localName === name)) {
        problems.push(`${service.typeName}: rule for "${name}", which the service does not have (remove it)`);
      }
    }
    for (const method of service.methods) {
      const where = `${service.typeName}.${method.name}`;
      const rule = Object.hasOwn(rules, method.localName) ? rules[method.localName] : undefined;
      if (rule === undefined || rule === null || typeof rule !== "object") {
        problems.push(`${where}: no rule (add "${method.localName}" to the table)`);
        continue;
      }
      const ruleProblems = validateRule(rule, method.input, vocabulary);
      for (const p of ruleProblems) problems.push(`${where}: ${p.problem} (${p.fix})`);
      if (ruleProblems.length > 0) continue;
      const bindings = boundFields(rule, method);
      entries.set(procedureOf(method), {
        procedure: procedureOf(method),
        method,
        source: rule.source ?? "code",
        checked: checkRule(copyRule(rule), bindings),
        hasBindings: bindings.length > 0,
      });
    }
  }
  if (problems.length > 0) throw new AuthzConfigError(problems);
  return entries;
}

function boundFields(rule: Rule<unknown>, method: DescMethod): BoundField[] {
  if (rule.access !== "authenticated") return [];
  return (rule.bindings ?? []).map(({ field, attribute, read }) => {
    if (read !== undefined) return { attribute, read };
    const resolved = resolveFieldPath(method.input, field);
    // validateRule has already rejected unresolvable paths.
    return { attribute, read: resolved.ok ? readFieldPath(resolved.fields) : () => undefined };
  });
}

/** A frozen copy, so a table mutated after the guard starts changes nothing. */
function copyRule(rule: Rule<unknown>): Rule<unknown> {
  switch (rule.access) {
    case "public":
    case "deny":
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
    bindings: Object.freeze((requirements.bindings ?? []).map(({ field, attribute }) => Object.freeze({ field, attribute }))),
    relations: Object.freeze(
      (requirements.relations ?? []).map(({ resourceType, idField, permission }) => Object.freeze({ resourceType, idField, permission })),
    ),
  });
}
