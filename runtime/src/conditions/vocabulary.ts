// What a vocabulary adds to a condition's check: string literals compared
// with principal.roles, scopes or kind must be declared names. It reads only
// the parsed expression, never types, so checks shared between request types
// still apply each caller's vocabulary.
import { type ConditionProblem, children, type Node, principalField, stringLiteral } from "./ast.js";

/** The names a rule may use, where declared (the guard's and the plugin's Vocabulary fits). */
export interface ConditionVocabulary {
  readonly principals?: readonly string[] | undefined;
  readonly roles?: readonly string[] | undefined;
  readonly scopes?: readonly string[] | undefined;
}

/** A string literal a vocabulary decides. */
export interface VocabularyLiteral {
  readonly what: "role" | "scope" | "principal";
  readonly literal: string;
  /** 0-based offset of the literal in the expression. */
  readonly offset: number;
}

/** Whether the vocabulary declares any name a condition can compare with. */
export function closesNames(vocabulary: ConditionVocabulary): boolean {
  return vocabulary.principals !== undefined || vocabulary.roles !== undefined || vocabulary.scopes !== undefined;
}

/** Every string literal compared with principal.roles, scopes or kind. */
export function vocabularyLiterals(node: Node): VocabularyLiteral[] {
  const found: VocabularyLiteral[] = [];
  const visit = (n: Node): void => {
    if (n.op === "in" || n.op === "==" || n.op === "!=") found.push(...comparedLiterals(n));
    for (const child of children(n)) visit(child);
  };
  visit(node);
  return found;
}

/** The literals the vocabulary does not declare. */
export function outsideVocabulary(literals: readonly VocabularyLiteral[], vocabulary: ConditionVocabulary): ConditionProblem[] {
  const problems: ConditionProblem[] = [];
  for (const { what, literal, offset } of literals) {
    const declared = what === "role" ? vocabulary.roles : what === "scope" ? vocabulary.scopes : vocabulary.principals;
    if (declared === undefined || declared.includes(literal)) continue;
    problems.push({
      problem: `${what} "${literal}" is not in the vocabulary`,
      fix: `use one of ${declared.map((d) => `"${d}"`).join(", ")}, or declare it in the plugin's ${what === "role" ? "roles" : what === "scope" ? "scopes" : "principals"} option`,
      offset,
    });
  }
  return problems;
}

function comparedLiterals(n: Node): VocabularyLiteral[] {
  const [left, right] = n.args as [Node, Node];
  const checks: [VocabularyLiteral["what"], Node][] = [];
  if (n.op === "in") {
    const field = principalField(right);
    if (field === "roles" || field === "scopes") checks.push([field === "roles" ? "role" : "scope", left]);
    if (principalField(left) === "kind" && right.op === "list") {
      for (const item of right.args as Node[]) checks.push(["principal", item]);
    }
  } else {
    if (principalField(left) === "kind") checks.push(["principal", right]);
    if (principalField(right) === "kind") checks.push(["principal", left]);
  }
  const found: VocabularyLiteral[] = [];
  for (const [what, node] of checks) {
    const literal = stringLiteral(node);
    if (literal !== undefined) found.push({ what, literal, offset: node.pos });
  }
  return found;
}
