// The parts of @marcbachmann/cel-js's AST the checker and the compiler read.

export interface CelTypeDecl {
  readonly kind: string;
  readonly name: string;
  readonly type: string;
  readonly keyType?: CelTypeDecl;
  readonly valueType?: CelTypeDecl;
}

export interface Node {
  readonly op: string;
  readonly args: unknown;
  /** 0-based offset of the node in the expression. */
  readonly pos: number;
  readonly start: number;
  readonly end: number;
  /** Set on every node the checker visited. */
  readonly checkedType?: CelTypeDecl;
}

/** One thing wrong with a condition; what the checker and the vocabulary report. */
export interface ConditionProblem {
  readonly problem: string;
  readonly fix: string;
  /** 0-based offset in the expression. */
  readonly offset: number;
}

/** Macros: a variable bound over a list or a map. */
export const comprehensions = new Set(["all", "exists", "exists_one", "map", "filter"]);

/** Functions the evaluator implements, by how they are called. */
export const supportedCalls = new Set(["has", "size", "int", "uint", "double", "string", "timestamp", "duration", "dyn"]);
export const supportedMethods = new Set(["size", "contains", "startsWith", "endsWith", "lowerAscii", "upperAscii", ...comprehensions]);

export function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as Node).op === "string";
}

/** The direct children of a node, in source order. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  const visit = (value: unknown): void => {
    if (isNode(value)) out.push(value);
    else if (Array.isArray(value)) for (const v of value) visit(v);
  };
  visit(node.args);
  return out;
}

/** `principal.<field>`: the field name, or undefined. */
export function principalField(node: Node): string | undefined {
  if (node.op !== ".") return undefined;
  const [target, field] = node.args as [Node, string];
  return target.op === "id" && target.args === "principal" ? field : undefined;
}

/** The variable a chain of selections and indexes starts from (`request` in `request.a[0].b`). */
export function rootOf(node: Node): string | undefined {
  let n = node;
  while (n.op === "." || n.op === "[]") n = (n.args as [Node])[0];
  return n.op === "id" ? (n.args as string) : undefined;
}

export function stringLiteral(node: Node): string | undefined {
  return node.op === "value" && typeof node.args === "string" ? node.args : undefined;
}

/** The expression's line holding `offset`, and a caret under it: how buf shows proto errors. */
export function withCaret(expression: string, offset: number): string {
  const lineStart = expression.lastIndexOf("\n", Math.max(0, offset - 1)) + 1;
  const lineEnd = expression.indexOf("\n", offset);
  const line = expression.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const column = Math.max(0, Math.min(offset - lineStart, line.length));
  return `    ${line}\n    ${" ".repeat(column)}^`;
}
