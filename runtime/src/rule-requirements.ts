// What a rule asks of a caller, flattened for readers outside the guard: the
// client's requirementsOf and the plugin's JSON manifest show the same thing.
import type { Requirements, Rule } from "./rule.js";

/** One way of being admitted: what one `authenticated` block (or one `any_of` alternative) requires. */
export interface AlternativeRequirements {
  /** Principal kinds admitted; empty: any kind. */
  readonly kinds: readonly string[];
  /** All required. */
  readonly scopes: readonly string[];
  /** At least one required when any are listed. */
  readonly roles: readonly string[];
  /** Request fields that must equal an attribute of the caller. */
  readonly bindings: readonly { readonly field: string; readonly attribute: string }[];
  /** Permissions the caller must hold in the relationship engine, on `resourceType:<idField>`. */
  readonly relations: readonly { readonly resourceType: string; readonly idField: string; readonly permission: string }[];
  /** CEL expressions over `request` and `principal` that must all be true. */
  readonly conditions: readonly string[];
}

export interface RuleRequirements {
  /** The rule's reason (public, deny and audit rules). */
  readonly reason?: string;
  /** The ways to be admitted: one for `authenticated`, one per alternative of `any_of`, none otherwise. */
  readonly alternatives: readonly AlternativeRequirements[];
  /** Whether a credential is needed: false for `public`, and for `audit` (migration mode: anyone may call). */
  readonly credentialNeeded: boolean;
  /** Every kind some alternative admits, in rule order; empty when any kind will do (or none is needed). */
  readonly kinds: readonly string[];
}

/** The rule's requirements, deeply frozen. */
export function ruleRequirements(rule: Rule<unknown>): RuleRequirements {
  const blocks = rule.access === "authenticated" ? [rule] : rule.access === "any_of" ? rule.alternatives : [];
  const alternatives = blocks.map(alternativeOf);
  const anyKind = alternatives.some((a) => a.kinds.length === 0);
  const kinds = anyKind ? [] : [...new Set(alternatives.flatMap((a) => a.kinds))];
  const reason = "reason" in rule ? rule.reason : undefined;
  return Object.freeze({
    ...(reason === undefined ? {} : { reason }),
    alternatives: Object.freeze(alternatives),
    credentialNeeded: rule.access === "authenticated" || rule.access === "any_of",
    kinds: Object.freeze(kinds),
  });
}

function alternativeOf(block: Requirements<unknown>): AlternativeRequirements {
  return Object.freeze({
    kinds: Object.freeze([...(block.principals ?? [])]),
    scopes: Object.freeze([...(block.scopes ?? [])]),
    roles: Object.freeze([...(block.roles ?? [])]),
    bindings: Object.freeze((block.bindings ?? []).map(({ field, attribute }) => Object.freeze({ field, attribute }))),
    relations: Object.freeze(
      (block.relations ?? []).map(({ resourceType, idField, permission }) => Object.freeze({ resourceType, idField, permission })),
    ),
    conditions: Object.freeze([...(block.conditions ?? [])]),
  });
}
