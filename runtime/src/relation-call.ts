import type { PendingRelations } from "./checked-rule.js";
import { attributed, type Decision, deny } from "./decision.js";
import { describeError } from "./errors.js";
import type { Principal } from "./principal.js";
import { type RelationChecker, RelationRefusal } from "./relations.js";
import { isThenable } from "./thenable.js";

/**
 * Asks the engine every relation of one call in one round trip, under a
 * deadline. Never rejects: a timeout (the signal is aborted), an engine error
 * or an answer of the wrong shape is Unavailable, never an allow. A checker
 * that answers without a promise (a decision-cache hit) is answered without
 * one too: no deadline to keep, no promise to allocate.
 */
export function askRelations(
  checker: RelationChecker,
  principal: Principal,
  ask: PendingRelations,
  procedure: string,
  timeoutMs: number,
): Decision | Promise<Decision> {
  const options = new CheckOptions(procedure);
  let pending: ReturnType<RelationChecker["check"]>;
  try {
    pending = checker.check(principal, ask.queries, options);
  } catch (error) {
    // A checker that throws synchronously fails like one that rejects.
    return unavailable(error);
  }
  if (!isThenable(pending)) return judged(pending, ask);
  const answer = pending;
  // One promise, settled by whichever comes first: the answer, an error or
  // the deadline. Later outcomes are ignored.
  return new Promise<Decision>((resolve) => {
    const timer = setTimeout(() => {
      options.expire(new Error(`relation check timed out after ${timeoutMs} ms`));
      resolve(attributed(deny("relation_timeout"), { detail: `no answer within ${timeoutMs} ms` }));
    }, timeoutMs);
    Promise.resolve(answer).then(
      (answers) => {
        clearTimeout(timer);
        resolve(judged(answers, ask));
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve(unavailable(error));
      },
    );
  });
}

/**
 * What the checker is told of the call. The signal is made when the checker
 * first reads it: an AbortSignal costs microseconds, more than a cached
 * answer, and a checker answering from its cache never needs one. Read after
 * the deadline, it is already aborted.
 */
class CheckOptions {
  #controller: AbortController | undefined;
  #expired: Error | undefined;
  constructor(readonly procedure: string) {}

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#expired !== undefined) this.#controller.abort(this.#expired);
    }
    return this.#controller.signal;
  }

  expire(reason: Error): void {
    this.#expired = reason;
    this.#controller?.abort(reason);
  }
}

/** The engine's answers as a decision; a malformed answer is Unavailable. */
function judged(answers: unknown, ask: PendingRelations): Decision {
  if (!Array.isArray(answers) || answers.length !== ask.queries.length) {
    return attributed(deny("relation_unavailable"), {
      detail: `the checker answered ${Array.isArray(answers) ? answers.length : typeof answers} for ${ask.queries.length} queries`,
    });
  }
  try {
    return ask.settle(answers);
  } catch (error) {
    return unavailable(error);
  }
}

/** A failed check: Unavailable, unless the checker refused the call for good (then PermissionDenied). */
function unavailable(error: unknown): Decision {
  if (error instanceof RelationRefusal && (error.reason === "relation_subject_unknown" || error.reason === "relation_token_invalid")) {
    return attributed(deny(error.reason), { detail: describeError(error) });
  }
  return attributed(deny("relation_unavailable"), { detail: describeError(error) });
}
