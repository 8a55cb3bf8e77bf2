import { allow, type Decision, deny } from "./decision.js";
import type { Principal } from "./principal.js";
import type { Rule } from "./rule.js";

/** A binding ready to check: the attribute and a reader for the field. */
export interface BoundField {
  readonly attribute: string;
  readonly read: (request: unknown) => unknown;
}

/**
 * A rule prepared for the hot path. `caller` runs once per call, before any
 * message. For every request message, `bound` reads the bound field values
 * (so a stream can be pinned to those of its first message) and `matches`
 * compares them with the principal's attributes.
 */
export interface CheckedRule {
  readonly rule: Rule<unknown>;
  caller(principal: Principal | undefined): Decision;
  bound(request: unknown): readonly (string | undefined)[];
  matches(principal: Principal, values: readonly (string | undefined)[]): Decision;
}

/** Prepares a rule whose bindings have readers (see guard creation). */
export function checkRule(rule: Rule<unknown>, bindings: readonly BoundField[]): CheckedRule {
  const authorized = allow("authorized");
  return {
    rule,
    caller: (principal) => checkCaller(rule, principal),
    bound: (request) => (bindings.length === 0 ? noValues : bindings.map(({ read }) => readBound(read, request))),
    matches: (principal, values) => (bindings.length === 0 ? authorized : matchAttributes(bindings, principal, values)),
  };
}

const noValues: readonly string[] = [];

function checkCaller(rule: Rule<unknown>, principal: Principal | undefined): Decision {
  switch (rule.access) {
    case "public":
      return allow("public");
    case "deny":
      return deny("rule_denies");
    case "authenticated": {
      if (principal === undefined) return deny("no_credentials");
      const kinds = rule.principals;
      if (kinds !== undefined && kinds.length > 0 && !kinds.includes(principal.kind)) return deny("kind_not_allowed");
      for (const scope of rule.scopes ?? []) {
        if (!principal.scopes.includes(scope)) return deny("missing_scope");
      }
      const roles = rule.roles;
      if (roles !== undefined && roles.length > 0 && !roles.some((role) => principal.roles.includes(role))) {
        return deny("missing_role");
      }
      return allow("authorized");
    }
    default:
      return deny("no_rule");
  }
}

function readBound(read: (request: unknown) => unknown, request: unknown): string | undefined {
  try {
    return boundValue(read(request));
  } catch {
    return undefined; // an unreadable field is an unset one: denied
  }
}

function matchAttributes(bindings: readonly BoundField[], principal: Principal, values: readonly (string | undefined)[]): Decision {
  for (const [i, { attribute }] of bindings.entries()) {
    const value = values[i];
    if (value === undefined) return deny("binding_unset");
    const expected = Object.hasOwn(principal.attributes, attribute) ? principal.attributes[attribute] : undefined;
    if (expected === undefined || expected === "") return deny("attribute_missing");
    if (value !== expected) return deny("binding_mismatch");
  }
  return allow("authorized");
}

/**
 * A field value as the string a principal attribute is compared to. Empty
 * strings and zero integers count as unset: proto3 cannot tell them apart
 * from a field the caller never wrote.
 */
function boundValue(raw: unknown): string | undefined {
  switch (typeof raw) {
    case "string":
      return raw === "" ? undefined : raw;
    case "number":
      return raw === 0 || !Number.isInteger(raw) ? undefined : String(raw);
    case "bigint":
      return raw === 0n ? undefined : String(raw);
    default:
      return undefined;
  }
}

/**
 * The whole decision for one request message: caller, then bindings.
 * The guard calls the two halves separately; this is the reference form.
 */
export function decide(checked: CheckedRule, principal: Principal | undefined, request: unknown): Decision {
  const caller = checked.caller(principal);
  if (!caller.allowed || principal === undefined || checked.rule.access !== "authenticated") return caller;
  return checked.matches(principal, checked.bound(request));
}
