// The guard's verdicts on a call. Classes, not object literals of closures:
// a call allocates one object for its verdict.

import { failure } from "./authentication-failure.js";
import { isPendingRelations } from "./checked-rule.js";
import { allow, attributed, type Decision, type DenyReason, deny } from "./decision.js";
import type { CallAuthorization } from "./guard-api.js";
import type { Principal } from "./principal.js";
import { askRelations } from "./relation-call.js";
import type { RelationChecker } from "./relations.js";
import type { TableEntry } from "./tables.js";

/** A call's denials that were recorded but let through. */
export interface CallState {
  notEnforced: DenyReason | undefined;
}

/** Audits a decision and returns the one to enforce. */
export type RecordDecision = (decision: Decision) => Decision;

export interface RelationContext {
  readonly checker: RelationChecker | undefined;
  readonly timeoutMs: number;
}

/** A call decided before any message: every message and the end get the same answer. */
export class Decided<P extends Principal> implements CallAuthorization<P> {
  readonly checksMessages = false;
  constructor(
    readonly procedure: string,
    private readonly state: CallState,
    readonly decision: Decision,
    readonly principal: P | undefined = undefined,
  ) {}
  checkMessage(): Decision {
    return this.decision;
  }
  checkEnd(): Decision {
    return this.decision;
  }
  notEnforced(): DenyReason | undefined {
    return this.state.notEnforced;
  }
}

/**
 * A call the request decides. The first message's decision is the call's
 * event; later messages only report denials, and must name what the first named.
 */
export class DecidedByMessages<P extends Principal> implements CallAuthorization<P> {
  readonly decision = allow("authorized");
  readonly checksMessages = true;
  readonly procedure: string;
  #pinned: readonly (string | undefined)[] | undefined;
  #admittedBy: Decision | undefined;
  constructor(
    private readonly entry: TableEntry,
    private readonly state: CallState,
    private readonly record: RecordDecision,
    private readonly relations: RelationContext,
    readonly principal: P,
  ) {
    this.procedure = entry.procedure;
  }

  checkMessage(message: unknown): Decision | Promise<Decision> {
    try {
      const values = this.entry.checked.bound(message);
      if (this.#pinned !== undefined && this.#admittedBy !== undefined) {
        if (!sameValues(this.#pinned, values)) return this.record(deny("binding_changed"));
        // Conditions read the whole message: every message is held to those of the alternative that admitted the first.
        const failed = this.entry.checked.conditionsHold(this.principal, message, this.#admittedBy);
        return failed === undefined ? this.#admittedBy : this.record(failed);
      }
      const result = this.entry.checked.matches(this.principal, values, message);
      if (!isPendingRelations(result)) return this.#settle(values, result);
      const { checker, timeoutMs } = this.relations;
      if (checker === undefined) return this.record(attributed(deny("relation_unavailable"), { detail: "no relation checker" }));
      const decided = askRelations(checker, this.principal, result, this.procedure, timeoutMs);
      return decided instanceof Promise ? decided.then((decision) => this.#settle(values, decision)) : this.#settle(values, decided);
    } catch (error) {
      return this.record(failure(error));
    }
  }

  checkEnd(): Decision {
    return this.#admittedBy ?? this.record(deny("message_missing"));
  }

  notEnforced(): DenyReason | undefined {
    return this.state.notEnforced;
  }

  #settle(values: readonly (string | undefined)[], decision: Decision): Decision {
    if (decision.allowed) {
      this.#pinned = values;
      this.#admittedBy = decision;
    }
    return this.record(decision);
  }
}

function sameValues(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
