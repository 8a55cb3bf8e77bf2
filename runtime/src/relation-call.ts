import type { RelationAsk } from "./decide.js";
import { attributed, type Decision, deny } from "./decision.js";
import type { Principal } from "./principal.js";
import type { RelationChecker } from "./relations.js";

/**
 * Asks the engine every relation of one call in one round trip, under a
 * deadline. Never rejects: a timeout (the signal is aborted), an engine error
 * or an answer of the wrong shape is Unavailable, never an allow.
 */
export function askRelations(
  checker: RelationChecker,
  principal: Principal,
  ask: RelationAsk,
  procedure: string,
  timeoutMs: number,
): Promise<Decision> {
  // The signal is made when the checker first reads it: an AbortSignal costs
  // microseconds, more than a cached answer, and a checker answering from its
  // cache never needs one. Read after the deadline, it is already aborted.
  let controller: AbortController | undefined;
  let expired: Error | undefined;
  const options = {
    procedure,
    get signal(): AbortSignal {
      if (controller === undefined) {
        controller = new AbortController();
        if (expired !== undefined) controller.abort(expired);
      }
      return controller.signal;
    },
  };
  // One promise, settled by whichever comes first: the answer, an error or
  // the deadline. Later outcomes are ignored.
  return new Promise<Decision>((resolve) => {
    const timer = setTimeout(() => {
      expired = new Error(`relation check timed out after ${timeoutMs} ms`);
      controller?.abort(expired);
      resolve(attributed(deny("relation_timeout"), { detail: `no answer within ${timeoutMs} ms` }));
    }, timeoutMs);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      resolve(attributed(deny("relation_unavailable"), { detail: describeError(error) }));
    };
    const answered = (answers: unknown) => {
      clearTimeout(timer);
      if (!Array.isArray(answers) || answers.length !== ask.queries.length) {
        resolve(
          attributed(deny("relation_unavailable"), {
            detail: `the checker answered ${Array.isArray(answers) ? answers.length : typeof answers} for ${ask.queries.length} queries`,
          }),
        );
        return;
      }
      try {
        resolve(ask.settle(answers));
      } catch (error) {
        fail(error);
      }
    };
    try {
      // A checker that throws synchronously fails like one that rejects; a
      // non-promise answer is judged like a resolved one.
      Promise.resolve(checker.check(principal, ask.queries, options)).then(answered, fail);
    } catch (error) {
      fail(error);
    }
  });
}

/** For audit: the error's name and message, never its stack; never throws. */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return "an error that cannot be described";
  }
}
