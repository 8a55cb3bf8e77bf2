// The shape of a rule prepared for the hot path, shared by the code that
// prepares it (decide.ts), the code that asks the engine (relation-call.ts)
// and the guard's verdicts: types below all three, so none imports another's.

import type { Decision, Denial } from "./decision.js";
import type { Principal } from "./principal.js";
import type { RelationQuery } from "./relations.js";
import type { Rule } from "./rule.js";

/** How the rule reads one request field: a binding's field or a relation's id field. */
export interface FieldReader {
  readonly read: (request: unknown) => unknown;
  /** Integer fields compare by value: 0, 0n, "0", "-0" and "00" are all zero, hence unset. */
  readonly integer: boolean;
}

/** Makes the reader of a dotted field path; `read` is the rule's own accessor, when it has one. */
export type FieldReaderFactory = (path: string, read: ((request: never) => unknown) | undefined) => FieldReader;

/** The relations of one call still to ask, in one round trip; `settle` turns the answers into the decision. */
export interface PendingRelations {
  readonly queries: readonly RelationQuery[];
  settle(answers: readonly boolean[]): Decision;
}

/** One relation a rule uses, with the principal kinds that can reach it (empty = any). */
export interface RuleRelationUse {
  readonly resourceType: string;
  readonly permission: string;
  readonly principals: readonly string[];
}

/**
 * A rule prepared for the hot path. `caller` runs once per call, before any
 * message: a decision, or "per_message" when the request decides (bindings,
 * relations). Then, for every request message, `bound` reads the fields the
 * rule names (so a stream can be pinned to those of its first message) and
 * `matches` decides, or returns the relation queries still to ask. A later
 * message of a stream admitted with `admitted` is held to the conditions of
 * the alternative that admitted it: `conditionsHold` gives its denial, if any.
 */
export interface CheckedRule {
  readonly rule: Rule<unknown>;
  readonly relationUses: readonly RuleRelationUse[];
  caller(principal: Principal | undefined): Decision | "per_message";
  bound(request: unknown): readonly (string | undefined)[];
  matches(principal: Principal, values: readonly (string | undefined)[], request: unknown): Decision | PendingRelations;
  conditionsHold(principal: Principal, request: unknown, admitted: Decision): Denial | undefined;
}

export function isPendingRelations(result: Decision | PendingRelations): result is PendingRelations {
  return (result as Partial<PendingRelations>).queries !== undefined;
}
