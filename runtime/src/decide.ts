import type { CheckedRule, FieldReader, FieldReaderFactory, PendingRelations } from "./checked-rule.js";
import { isPendingRelations } from "./checked-rule.js";
import { allow, attributed, type Decision, type Denial, type DenyReason, deny } from "./decision.js";
import { canonicalValue } from "./field-value.js";
import type { Principal } from "./principal.js";
import { askRelations } from "./relation-call.js";
import type { RelationChecker, RelationQuery } from "./relations.js";
import type { Requirements, Rule } from "./rule.js";
import {
  type AlternativeCondition,
  type ConditionCompiler,
  failedCondition,
  noConditionCompiler,
  prepareConditions,
} from "./rule-conditions.js";

interface CheckedRelation {
  readonly slot: number;
  readonly resourceType: string;
  readonly permission: string;
  readonly label: string;
}

interface Alternative {
  /** 1-based position in `any_of`; undefined for an authenticated rule. */
  readonly index: number | undefined;
  readonly principals: readonly string[];
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly bindings: readonly { readonly slot: number; readonly attribute: string }[];
  readonly relations: readonly CheckedRelation[];
  readonly conditions: readonly AlternativeCondition[];
  /** Precomputed: the decision when this alternative admits. */
  readonly admitted: Decision;
}

/** Prepares a rule; `readerFor` supplies the reader of every field it names, `conditionFor` its compiled conditions. */
export function checkRule(
  rule: Rule<unknown>,
  readerFor: FieldReaderFactory,
  conditionFor: ConditionCompiler = noConditionCompiler,
): CheckedRule {
  const readers: FieldReader[] = [];
  const slots = new Map<string, number>();
  const slotOf = (path: string, read: ((request: never) => unknown) | undefined) => {
    let slot = slots.get(path);
    if (slot === undefined) {
      slot = readers.push(readerFor(path, read)) - 1;
      slots.set(path, slot);
    }
    return slot;
  };
  const requirements = rule.access === "authenticated" ? [rule] : rule.access === "any_of" ? rule.alternatives : [];
  const alternatives = requirements
    .map((r, i) => prepare(r, rule.access === "any_of" ? i + 1 : undefined, slotOf, conditionFor))
    // Alternatives that need no engine are tried first: the engine is asked only when they fail.
    .sort((a, b) => Number(a.relations.length > 0) - Number(b.relations.length > 0));
  // Shared by every call of the method: frozen, down to what a checker is shown.
  return Object.freeze({
    rule,
    relationUses: Object.freeze(
      alternatives.flatMap((alt) =>
        alt.relations.map(({ resourceType, permission }) => Object.freeze({ resourceType, permission, principals: alt.principals })),
      ),
    ),
    caller: (principal) => checkCaller(rule, alternatives, principal),
    bound: (request) => {
      if (readers.length === 0) return noValues;
      // A loop, not map(): no closure per message.
      const values: (string | undefined)[] = new Array(readers.length);
      for (let i = 0; i < readers.length; i++) values[i] = readValue(readers[i] as FieldReader, request);
      return values;
    },
    matches: (principal, values, request) => matchAlternatives(alternatives, principal, values, request),
    conditionsHold: (principal, request, admitted) => {
      const alt = alternatives.find((a) => a.index === admitted.alternative);
      return alt === undefined ? deny("no_rule") : failedCondition(alt.conditions, alt.index, principal, request);
    },
  } satisfies CheckedRule);
}

const noValues: readonly string[] = Object.freeze([]);

function prepare(
  requirements: Requirements<unknown>,
  index: number | undefined,
  slotOf: (path: string, read?: never) => number,
  conditionFor: ConditionCompiler,
): Alternative {
  const relations = (requirements.relations ?? []).map(({ resourceType, idField, permission, read }) => ({
    slot: slotOf(idField, read as never),
    resourceType,
    permission,
    label: `${resourceType}#${permission}`,
  }));
  const attribution = {
    ...(index === undefined ? {} : { alternative: index }),
    ...(relations.length === 0 ? {} : { relation: relations.map((r) => r.label).join(" & ") }),
  };
  return {
    index,
    principals: Object.freeze([...(requirements.principals ?? [])]),
    scopes: [...(requirements.scopes ?? [])],
    roles: [...(requirements.roles ?? [])],
    bindings: (requirements.bindings ?? []).map(({ field, attribute, read }) => ({ slot: slotOf(field, read as never), attribute })),
    relations,
    conditions: prepareConditions(requirements.conditions, conditionFor),
    admitted: Object.keys(attribution).length === 0 ? allow("authorized") : attributed(allow("authorized"), attribution),
  };
}

function checkCaller(
  rule: Rule<unknown>,
  alternatives: readonly Alternative[],
  principal: Principal | undefined,
): Decision | "per_message" {
  switch (rule.access) {
    case "public":
      return allow("public");
    case "deny":
      return deny("rule_denies");
    case "audit":
      // Reported as an authenticated rule would see the caller; the guard never enforces it.
      return principal === undefined ? deny("no_credentials") : allow("audited");
    case "authenticated":
    case "any_of": {
      if (principal === undefined) return deny("no_credentials");
      let denial: Denial | undefined;
      let open = false;
      for (const alt of alternatives) {
        const failed = checkStatic(alt, principal);
        if (failed !== undefined) denial = worse(denial, failed, alt);
        else if (alt.bindings.length === 0 && alt.relations.length === 0 && alt.conditions.length === 0) return alt.admitted;
        else open = true;
      }
      return open ? "per_message" : (denial ?? deny("no_rule"));
    }
    default:
      return deny("no_rule");
  }
}

/** Kind, scopes and roles: what the token alone decides. */
function checkStatic(alt: Alternative, principal: Principal): Denial | undefined {
  if (alt.principals.length > 0 && !alt.principals.includes(principal.kind)) return deny("kind_not_allowed");
  for (const scope of alt.scopes) {
    if (!principal.scopes.includes(scope)) return deny("missing_scope");
  }
  if (alt.roles.length > 0 && !alt.roles.some((role) => principal.roles.includes(role))) return deny("missing_role");
  return undefined;
}

function checkBindings(alt: Alternative, principal: Principal, values: readonly (string | undefined)[]): Denial | undefined {
  for (const { slot, attribute } of alt.bindings) {
    const value = values[slot];
    if (value === undefined) return deny("binding_unset");
    const expected = Object.hasOwn(principal.attributes, attribute) ? principal.attributes[attribute] : undefined;
    if (typeof expected !== "string" || expected === "") return deny("attribute_missing");
    if (value !== expected) return deny("binding_mismatch");
  }
  return undefined;
}

function matchAlternatives(
  alternatives: readonly Alternative[],
  principal: Principal,
  values: readonly (string | undefined)[],
  request: unknown,
) {
  let denial: Denial | undefined;
  let pending: Alternative[] | undefined;
  for (const alt of alternatives) {
    const failed =
      checkStatic(alt, principal) ??
      checkBindings(alt, principal, values) ??
      failedCondition(alt.conditions, alt.index, principal, request);
    if (failed !== undefined) {
      denial = worse(denial, failed, alt);
    } else if (alt.relations.length === 0) {
      return alt.admitted;
    } else {
      const unset = alt.relations.find((r) => values[r.slot] === undefined);
      if (unset !== undefined) denial = worse(denial, deny("relation_id_unset"), alt, unset.label);
      else (pending ??= []).push(alt);
    }
  }
  if (pending === undefined) return denial ?? deny("no_rule");
  return pendingRelations(pending, values, denial);
}

/** Every relation of every alternative still open, in one round trip. */
function pendingRelations(
  pending: readonly Alternative[],
  values: readonly (string | undefined)[],
  denial: Denial | undefined,
): PendingRelations {
  const queries: RelationQuery[] = [];
  for (const alt of pending) {
    for (const { slot, resourceType, permission } of alt.relations)
      queries.push({ resourceType, resourceId: values[slot] ?? "", permission });
  }
  return {
    queries,
    settle(answers) {
      let worst = denial;
      let offset = 0;
      for (const alt of pending) {
        const missing = alt.relations.find((_, i) => answers[offset + i] !== true);
        if (missing === undefined) return alt.admitted;
        worst = worse(worst, deny("relation_denied"), alt, missing.label);
        offset += alt.relations.length;
      }
      return worst ?? deny("relation_denied");
    },
  };
}

/** How far a caller got: the denial reported for an any_of is that of the alternative it came closest to passing. */
const progress: Partial<Record<DenyReason, number>> = {
  missing_scope: 1,
  missing_role: 2,
  binding_unset: 3,
  attribute_missing: 3,
  binding_mismatch: 3,
  condition_false: 4,
  condition_error: 4,
  relation_id_unset: 5,
  relation_denied: 6,
};

function worse(current: Denial | undefined, next: Denial, alt: Alternative, relation?: string): Denial {
  if (current !== undefined && (progress[current.reason] ?? 0) >= (progress[next.reason] ?? 0)) return current;
  // A condition's denial already names its alternative and condition.
  if ((alt.index === undefined && relation === undefined) || next.condition !== undefined) return next;
  return attributed(next, {
    ...(alt.index === undefined ? {} : { alternative: alt.index }),
    ...(relation === undefined ? {} : { relation }),
  });
}

function readValue(reader: FieldReader, request: unknown): string | undefined {
  try {
    return canonicalValue(reader.read(request), reader.integer);
  } catch {
    return undefined; // an unreadable field is an unset one: denied
  }
}

/** How `decide` asks about relations: the checker, and the call it asks for. */
export interface RelationCallContext {
  readonly checker: RelationChecker;
  /** "/pkg.Service/Method", passed to the checker. */
  readonly procedure: string;
  /** Default 1000. */
  readonly timeoutMs?: number;
}

/**
 * The whole decision for one request message: caller, bindings, conditions,
 * then relations. The guard calls the parts separately (to pin streams); this is
 * the reference form. Without an engine, a rule whose decision needs one is
 * denied as relation_unavailable.
 */
export function decide(checked: CheckedRule, principal: Principal | undefined, request: unknown): Decision;
export function decide(
  checked: CheckedRule,
  principal: Principal | undefined,
  request: unknown,
  relations: RelationCallContext,
): Decision | Promise<Decision>;
export function decide(
  checked: CheckedRule,
  principal: Principal | undefined,
  request: unknown,
  relations?: RelationCallContext,
): Decision | Promise<Decision> {
  const caller = checked.caller(principal);
  if (caller !== "per_message" || principal === undefined) return caller === "per_message" ? deny("no_credentials") : caller;
  const result = checked.matches(principal, checked.bound(request), request);
  if (!isPendingRelations(result)) return result;
  if (relations === undefined) return attributed(deny("relation_unavailable"), { detail: "no relation checker" });
  return askRelations(relations.checker, principal, result, relations.procedure, relations.timeoutMs ?? 1000);
}
