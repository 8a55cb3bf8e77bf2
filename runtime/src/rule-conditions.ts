// The conditions of one rule or any_of alternative, as the decision core
// holds them: compiled when the guard starts, evaluated in order, the first
// that is false or fails denying the alternative, named in the denial.
import { attributed, type ConditionRef, type Denial, deny } from "./decision.js";
import type { Principal } from "./principal.js";

/** A condition compiled for the rule's request type: true, false, or an error (anything not a boolean). */
export interface RuleCondition {
  evaluate(request: unknown, principal: Principal): boolean | Error;
}

/** Compiles one condition of a rule; throws when it does not compile (validation reports it first). */
export type ConditionCompiler = (expression: string) => RuleCondition;

export interface AlternativeCondition extends ConditionRef {
  readonly condition: RuleCondition;
}

/** Without a compiler, a rule with conditions cannot be prepared: never silently dropped. */
export const noConditionCompiler: ConditionCompiler = (expression) => {
  throw new Error(`condition ${JSON.stringify(expression)}: no condition compiler`);
};

export function prepareConditions(expressions: readonly string[] | undefined, compile: ConditionCompiler): AlternativeCondition[] {
  return (expressions ?? []).map((expression, i) => ({ index: i + 1, expression, condition: compile(expression) }));
}

/**
 * The denial of the first condition that is false (condition_false) or
 * fails to evaluate (condition_error, the error in `detail`), or undefined
 * when all hold. `alternative` is the 1-based any_of index, if any.
 */
export function failedCondition(
  conditions: readonly AlternativeCondition[],
  alternative: number | undefined,
  principal: Principal,
  request: unknown,
): Denial | undefined {
  for (const { index, expression, condition } of conditions) {
    const result = condition.evaluate(request, principal);
    if (result === true) continue;
    return attributed(result === false ? deny("condition_false") : deny("condition_error"), {
      ...(alternative === undefined ? {} : { alternative }),
      condition: { index, expression },
      ...(result instanceof Error ? { detail: result.message } : {}),
    });
  }
  return undefined;
}
