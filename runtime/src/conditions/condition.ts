// A condition as the guard holds it: checked and compiled once at start,
// then evaluated per request message to true, false or an error.
import type { DescMessage } from "@bufbuild/protobuf";
import type { Principal } from "../principal.js";
import { type CheckedCondition, type ConditionProblem, type ConditionVocabulary, checkCondition } from "./check.js";
import { compileChecked } from "./compile.js";
import { ConditionEvalError, typeName } from "./values.js";

export interface CompiledCondition {
  /** The expression as written. */
  readonly text: string;
  /**
   * true or false; a ConditionEvalError when it cannot be evaluated (a
   * missing map key, an overflow, a division by zero): the guard denies.
   */
  evaluate(request: unknown, principal: Principal): boolean | ConditionEvalError;
}

const noLocals: unknown[] = [];

type CompileResult = { readonly condition: CompiledCondition } | { readonly problems: readonly ConditionProblem[] };
const compiledByCheck = new WeakMap<object, CompileResult>();

/**
 * The compiler of a request type's conditions, for a rule that validation
 * has accepted: a condition that does not compile throws.
 */
export function conditionCompiler(request: DescMessage): (text: string) => CompiledCondition {
  return (text) => {
    const result = compileCondition(text, request);
    if ("condition" in result) return result.condition;
    throw new Error(`condition ${JSON.stringify(text)}: ${result.problems[0]?.problem}`);
  };
}

/** Checks and compiles one condition for requests of type `request`. */
export function compileCondition(
  text: string,
  request: DescMessage,
  vocabulary?: ConditionVocabulary,
): { readonly condition: CompiledCondition } | { readonly problems: readonly ConditionProblem[] } {
  const checked = checkCondition(text, request, vocabulary);
  if (!("checked" in checked)) return checked;
  let result = compiledByCheck.get(checked.checked);
  if (result === undefined) compiledByCheck.set(checked.checked, (result = compile(text, checked.checked)));
  return result;
}

function compile(text: string, checked: CheckedCondition): CompileResult {
  let compiled: ReturnType<typeof compileChecked>;
  try {
    compiled = compileChecked(checked);
  } catch (error) {
    if (!(error instanceof ConditionEvalError)) throw error;
    // A literal the evaluator cannot read, e.g. timestamp("yesterday").
    return { problems: [{ problem: error.message, fix: "correct the literal", offset: error.position }] };
  }
  const { run, slots } = compiled;
  return {
    condition: {
      text,
      evaluate(message, principal) {
        try {
          const result = run(message, principal, slots === 0 ? noLocals : new Array(slots));
          return typeof result === "boolean" ? result : new ConditionEvalError(`condition gave ${typeName(result)}, not bool`, 0);
        } catch (error) {
          if (error instanceof ConditionEvalError) return error;
          // Anything else (a message not of the request type, a stack overflow) fails closed too.
          return new ConditionEvalError(error instanceof Error ? error.message : String(error), 0);
        }
      },
    },
  };
}
