import type { DescMessage } from "@bufbuild/protobuf";
import { withCaret } from "./conditions/ast.js";
import { ConditionChecks } from "./conditions/shared-check.js";
import { resolveFieldPath } from "./field-path.js";
import type { Binding, Relation, Requirements, Rule } from "./rule.js";

/** One thing wrong with a rule: what, and how to fix it. */
export interface RuleProblem {
  readonly problem: string;
  readonly fix: string;
  /** Lines to show under the message: a condition with a caret under what is wrong. */
  readonly excerpt?: string;
}

/**
 * A closed set of names a rule may use. A dimension left undefined is open:
 * any non-empty name is accepted there.
 */
export interface Vocabulary {
  readonly principals?: readonly string[];
  readonly roles?: readonly string[];
  readonly scopes?: readonly string[];
  /** Resource types relations may name. */
  readonly resources?: readonly string[];
  /** Permissions relations may ask for. */
  readonly permissions?: readonly string[];
}

/**
 * How a relationship engine names resource types and permissions: each
 * returns what is wrong with a name, or undefined. The core asks only for a
 * name at all; an engine's folder supplies its grammar (protoauthz/spicedb's
 * is what the plugin checks, through protoauthz/tool).
 */
export interface RelationNaming {
  resourceType(name: string, label: string): RuleProblem | undefined;
  permission(name: string, label: string): RuleProblem | undefined;
}

/** Any non-empty name without spaces or control characters: what every engine needs. */
export const plainRelationNaming: RelationNaming = Object.freeze({
  resourceType: (name: string, label: string) =>
    plainName(name) ? undefined : { problem: `${label}: resource type "${name}" is empty or has spaces`, fix: 'name it, e.g. "workspace"' },
  permission: (name: string, label: string) =>
    plainName(name) ? undefined : { problem: `${label}: permission "${name}" is empty or has spaces`, fix: 'name it, e.g. "write"' },
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const plainName = (name: string) => name !== "" && !/[\s\u0000-\u001f\u007f]/.test(name);

/** What validating the rules of one run shares: the names, and what checking conditions learned. */
interface Validation {
  readonly vocabulary: Vocabulary;
  readonly naming: RelationNaming;
  readonly conditions: ConditionChecks;
  /** The problems of each requirements' names, which no request type changes. */
  readonly names: WeakMap<Requirements<unknown>, readonly RuleProblem[]>;
}

/**
 * Checks the rules of one run (a generation, a guard's start) against the
 * request messages of their methods. What checking one rule's conditions
 * learns serves the next, for as long as the validator lives.
 */
export class RuleValidator {
  readonly #validation: Validation;

  /**
   * `shareChecks: false` checks each condition on its own request type: for
   * a caller that compiles every condition next (the guard), which needs
   * that check anyway and then reuses it.
   */
  constructor(vocabulary: Vocabulary = {}, naming: RelationNaming = plainRelationNaming, { shareChecks = true } = {}) {
    this.#validation = { vocabulary, naming, conditions: new ConditionChecks(shareChecks), names: new WeakMap() };
  }

  validate(rule: Rule<unknown>, request: DescMessage): RuleProblem[] {
    return validateWith(this.#validation, rule, request);
  }
}

/**
 * Checks one rule against the request message of its method. The plugin runs
 * this at generation time and the guard again at creation, so a rule written in
 * code is held to exactly the standard of a generated one.
 */
export function validateRule(
  rule: Rule<unknown>,
  request: DescMessage,
  vocabulary: Vocabulary = {},
  naming: RelationNaming = plainRelationNaming,
): RuleProblem[] {
  return new RuleValidator(vocabulary, naming).validate(rule, request);
}

function validateWith(validation: Validation, rule: Rule<unknown>, request: DescMessage): RuleProblem[] {
  switch (rule.access) {
    case "public":
    case "deny":
    case "audit":
      return rule.reason.trim() === ""
        ? [{ problem: `${rule.access} rule has an empty reason`, fix: `say why, e.g. ${rule.access}: { reason: "…" }` }]
        : [];
    case "authenticated":
      return validateRequirements(validation, rule, request);
    case "any_of":
      return validateAlternatives(validation, rule.alternatives, request);
    default:
      return [
        {
          problem: `access "${String((rule as { access: unknown }).access)}" is not known`,
          fix: "set exactly one of public, authenticated, any_of or deny",
        },
      ];
  }
}

function validateRequirements(validation: Validation, requirements: Requirements<unknown>, request: DescMessage): RuleProblem[] {
  const { vocabulary } = validation;
  let names = validation.names.get(requirements);
  if (names === undefined) {
    names = [
      ...validateNames("principal", requirements.principals ?? [], vocabulary.principals),
      ...validateNames("scope", requirements.scopes ?? [], vocabulary.scopes),
      ...validateNames("role", requirements.roles ?? [], vocabulary.roles),
    ];
    validation.names.set(requirements, names);
  }
  const { bindings = [], relations = [], conditions = [] } = requirements;
  if (names.length + bindings.length + relations.length + conditions.length === 0) return [];
  return [
    ...names,
    ...validateBindings(bindings, request),
    ...validateRelations(relations, request, vocabulary, validation.naming),
    ...validateConditions(validation, conditions, request),
  ];
}

function validateConditions(validation: Validation, conditions: readonly string[], request: DescMessage): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (let i = 0; i < conditions.length; i++) {
    const expression = conditions[i] as string;
    for (const p of validation.conditions.problems(expression, request, validation.vocabulary)) {
      const problem = { problem: `condition ${i + 1}: ${p.problem}`, fix: p.fix };
      problems.push(expression.trim() === "" ? problem : { ...problem, excerpt: withCaret(expression, p.offset) });
    }
  }
  return problems;
}

function validateAlternatives(validation: Validation, alternatives: readonly Requirements<unknown>[], request: DescMessage): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (alternatives.length < 2) {
    problems.push({
      problem: `any_of has ${alternatives.length === 0 ? "no alternatives" : "one alternative"}`,
      fix: "list two or more alternatives, or write the rule as authenticated",
    });
  }
  for (const [i, alternative] of alternatives.entries()) {
    const label = `any_of alternative ${i + 1}`;
    if (isUnrestricted(alternative)) {
      problems.push({
        problem: `${label} has no restriction and would admit every authenticated caller`,
        fix: "give it principals, scopes, roles, bindings, relations or conditions, or write the whole rule as authenticated",
      });
    }
    for (const p of validateRequirements(validation, alternative, request)) problems.push({ ...p, problem: `${label}: ${p.problem}` });
  }
  return problems;
}

function isUnrestricted(requirements: Requirements<unknown>): boolean {
  const { principals, scopes, roles, bindings, relations, conditions } = requirements;
  return [principals, scopes, roles, bindings, relations, conditions].every((list) => (list?.length ?? 0) === 0);
}

function validateNames(what: string, names: readonly string[], allowed: readonly string[] | undefined): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (name.trim() === "" || name !== name.trim()) {
      problems.push({ problem: `${what} "${name}" is empty or padded with spaces`, fix: `remove it or write the ${what} name` });
    } else if (seen.has(name)) {
      problems.push({ problem: `${what} "${name}" is listed twice`, fix: "list it once" });
    } else if (allowed !== undefined && !allowed.includes(name)) {
      problems.push(outsideVocabulary(what, name, allowed));
    }
    seen.add(name);
  }
  return problems;
}

function validateBindings(bindings: readonly Binding<unknown>[], request: DescMessage): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  for (const { field, attribute } of bindings) {
    const resolved = resolveFieldPath(request, field);
    if (!resolved.ok) problems.push({ problem: resolved.problem, fix: resolved.fix });
    if (attribute.trim() === "") {
      problems.push({
        problem: `binding of "${field}" has an empty attribute`,
        fix: 'name the principal attribute it must equal, e.g. attribute: "sandbox_id"',
      });
    }
    const key = `${field}\u0000${attribute}`;
    if (seen.has(key)) problems.push({ problem: `binding of "${field}" to "${attribute}" is listed twice`, fix: "list it once" });
    seen.add(key);
  }
  return problems;
}

function validateRelations(
  relations: readonly Relation<unknown>[],
  request: DescMessage,
  vocabulary: Vocabulary,
  naming: RelationNaming,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  for (const { resourceType, idField, permission } of relations) {
    const label = `relation ${resourceType}#${permission}`;
    const badType = naming.resourceType(resourceType, label);
    if (badType !== undefined) {
      problems.push(badType);
    } else if (vocabulary.resources !== undefined && !vocabulary.resources.includes(resourceType)) {
      problems.push(outsideVocabulary("resource", resourceType, vocabulary.resources));
    }
    const badPermission = naming.permission(permission, label);
    if (badPermission !== undefined) {
      problems.push(badPermission);
    } else if (vocabulary.permissions !== undefined && !vocabulary.permissions.includes(permission)) {
      problems.push(outsideVocabulary("permission", permission, vocabulary.permissions));
    }
    const resolved = resolveFieldPath(request, idField, `${label} id_field`);
    if (!resolved.ok) problems.push({ problem: resolved.problem, fix: resolved.fix });
    const key = `${resourceType}\u0000${idField}\u0000${permission}`;
    if (seen.has(key)) problems.push({ problem: `${label} on "${idField}" is listed twice`, fix: "list it once" });
    seen.add(key);
  }
  return problems;
}

function outsideVocabulary(what: string, name: string, allowed: readonly string[]): RuleProblem {
  return {
    problem: `${what} "${name}" is not in the declared vocabulary`,
    fix: `use one of ${allowed.map((a) => `"${a}"`).join(", ")}, or add it to the ${what}s option`,
  };
}
