// Type-checks one condition against a request message type: what the plugin
// runs at generation and the guard again at start. Every problem carries the
// 0-based offset a caret points at.
import type { DescMessage } from "@bufbuild/protobuf";
import { type ConditionProblem, children, comprehensions, type Node, rootOf, supportedCalls, supportedMethods } from "./ast.js";
import {
  type ConditionEnvironment,
  declarePaths,
  environmentOf,
  maxExpressionLength,
  principalFields,
  principalTypeName,
} from "./environment.js";
import { Recent } from "./recent.js";
import { type ConditionVocabulary, closesNames, outsideVocabulary, vocabularyLiterals } from "./vocabulary.js";

export type { ConditionProblem, ConditionVocabulary };

/** A condition that type-checked: its AST, every node typed, ready for the compiler. */
export interface CheckedCondition {
  readonly ast: Node;
  /** The message types its request type reaches, by full name (not the cel-js environment, which is large). */
  readonly messages: ReadonlyMap<string, DescMessage>;
}

interface CelError {
  readonly message: string;
  readonly summary?: string;
  readonly code?: string;
  readonly range?: { readonly start: number };
  readonly node?: { readonly pos?: number; readonly start?: number } & Partial<Node>;
}

export type CheckResult = { readonly checked: CheckedCondition } | { readonly problems: readonly ConditionProblem[] };

/**
 * The conditions checked last, by text: a rule's validation and then its
 * compilation (at guard start) share one check. Only the last few are kept:
 * a checked AST is a few KB that a compiled condition no longer needs, and
 * keeping every one for the life of the process made guard start with
 * thousands of conditions mostly garbage collection.
 */
const recentChecks = new Recent<string, { readonly request: DescMessage; readonly result: CheckResult }>(16);

/** Parses and type-checks `expression`: the checked AST, or every problem found. */
export function checkCondition(expression: string, request: DescMessage, vocabulary: ConditionVocabulary = {}): CheckResult {
  const result = typeCheckOnce(expression, request);
  if (!("checked" in result)) return result;
  const problems = closesNames(vocabulary) ? outsideVocabulary(vocabularyLiterals(result.checked.ast), vocabulary) : [];
  return problems.length > 0 ? { problems } : result;
}

/** Parses and type-checks `expression`, without the vocabulary; the last few are kept. */
export function typeCheckOnce(expression: string, request: DescMessage): CheckResult {
  const known = recentChecks.get(expression);
  let result = known?.request === request ? known.result : undefined;
  if (result === undefined) recentChecks.set(expression, { request, result: (result = typeCheck(expression, request)) });
  return result;
}

function typeCheck(expression: string, request: DescMessage): CheckResult {
  if (expression.trim() === "") {
    return {
      problems: [
        { problem: "condition is empty", fix: 'write a CEL expression, e.g. "request.page_size <= 100", or remove it', offset: 0 },
      ],
    };
  }
  if (expression.length > maxExpressionLength) {
    return {
      problems: [
        {
          problem: `condition is ${expression.length} characters long`,
          fix: `keep it under ${maxExpressionLength} characters: split it into several conditions`,
          offset: 0,
        },
      ],
    };
  }
  const environment = environmentOf(request);
  let parsed: ReturnType<typeof environment.env.parse>;
  try {
    parsed = environment.env.parse(expression);
  } catch (error) {
    return { problems: [syntaxProblem(error as CelError)] };
  }
  declarePaths(environment, parsed.ast as unknown as Node);
  let result = parsed.check();
  // A type the paths did not show (read through a comprehension's variable):
  // declare it and check again, from a fresh parse; there are finitely many.
  while (!result.valid && environment.declare(undeclaredType(result.error as CelError) ?? "")) {
    parsed = environment.env.parse(expression);
    result = parsed.check();
  }
  if (!result.valid) return { problems: [typeProblem(result.error as CelError, environment)] };
  const ast = parsed.ast as unknown as Node;
  const problems = [...resultProblems(ast), ...walk(ast)];
  return problems.length > 0 ? { problems } : { checked: { ast, messages: environment.messages } };
}

/** The message type whose fields the checker could not read: one not declared yet. */
function undeclaredType(error: CelError): string | undefined {
  if (error.code !== "cannot_index_type" || (error.node?.op !== "." && error.node?.op !== "[]")) return undefined;
  return (error.node.args as [Node])[0].checkedType?.name;
}

function offsetOf(error: CelError): number {
  return error.range?.start ?? error.node?.start ?? error.node?.pos ?? 0;
}

function summaryOf(error: CelError): string {
  return error.summary ?? error.message.split("\n")[0] ?? error.message;
}

function syntaxProblem(error: CelError): ConditionProblem {
  return { problem: `syntax error: ${summaryOf(error)}`, fix: "write a CEL expression (https://cel.dev)", offset: offsetOf(error) };
}

function typeProblem(error: CelError, environment: ConditionEnvironment): ConditionProblem {
  const summary = summaryOf(error);
  const offset = offsetOf(error);
  const unknownVariable = /^Unknown variable: (.*)$/.exec(summary);
  if (unknownVariable !== null) {
    return {
      problem: `unknown variable ${unknownVariable[1]}`,
      fix: "a condition reads request (the RPC's input message) and principal",
      offset,
    };
  }
  const noField = /^No such key: (.*)$/.exec(summary);
  if (noField !== null && error.node?.op === ".") {
    const owner = (error.node.args as [Node])[0].checkedType?.name;
    const fields =
      owner === principalTypeName ? Object.keys(principalFields) : environment.messages.get(owner ?? "")?.fields.map((f) => f.name);
    if (fields !== undefined) {
      const what = owner === principalTypeName ? "principal" : owner;
      return {
        problem: `${what} has no field ${noField[1]}`,
        fix:
          fields.length === 0 ? `${what} has no fields a condition can read` : `use one of its fields by proto name: ${fields.join(", ")}`,
        offset,
      };
    }
  }
  return {
    problem: `type error: ${summary}`,
    fix: "make the operand types match (int, uint and double are distinct types: write 100u or 100.0)",
    offset,
  };
}

function resultProblems(ast: Node): ConditionProblem[] {
  const type = ast.checkedType?.name;
  if (type === "bool") return [];
  return [
    {
      problem: `condition is of type ${type ?? "unknown"}, not bool`,
      fix:
        type === "dyn" || type?.startsWith("dyn")
          ? "compare the value, e.g. `... == true`"
          : "write a comparison, e.g. `request.page_size <= 100`",
      offset: ast.start,
    },
  ];
}

interface Scope {
  /** Inside the predicate or transform of a comprehension. */
  readonly inBody: boolean;
  /** The node is a map read by key only. */
  readonly lookup?: boolean;
}

/** What the type checker does not see: unsupported functions, unbounded cost, names outside the vocabulary. */
function walk(node: Node, scope: Scope = { inBody: false }): ConditionProblem[] {
  const problems: ConditionProblem[] = [];
  const visit = (n: Node, s: Scope): void => {
    problems.push(...nodeProblems(n, s));
    if (n.op === "rcall" && comprehensions.has((n.args as [string])[0])) {
      const [, range, rest] = n.args as [string, Node, Node[]];
      visit(range, s);
      for (const part of rest.slice(1)) visit(part, { inBody: true });
      return;
    }
    if (s.inBody && (n.op === "[]" || n.op === "." || n.op === "in")) {
      // A map looked up by key costs one step, whatever its size.
      const [first, second] = n.args as [Node, Node];
      const target = n.op === "in" ? second : first;
      for (const child of children(n))
        visit(child, child === target && target.checkedType?.kind === "map" ? { inBody: true, lookup: true } : s);
      return;
    }
    for (const child of children(n)) visit(child, s);
  };
  visit(node, scope);
  return problems;
}

function nodeProblems(n: Node, scope: Scope): ConditionProblem[] {
  switch (n.op) {
    case "call":
    case "rcall": {
      const name = (n.args as [string])[0];
      const supported = n.op === "call" ? supportedCalls : supportedMethods;
      if (!supported.has(name) || (name === "timestamp" && n.op === "call" && firstArgType(n) !== "string")) {
        return [
          {
            problem: `${name}() is not supported in conditions`,
            fix: `use ${[...supportedCalls].filter((f) => f !== "dyn").join("(), ")}() or the methods ${[...supportedMethods].join("(), ")}()${name === "matches" ? " (regular expressions are refused: JavaScript's backtrack, and a request string could make one run for seconds)" : ""}`,
            offset: n.pos,
          },
        ];
      }
      if (scope.inBody && n.op === "rcall" && comprehensions.has(name)) {
        return [
          {
            problem: `${name}() inside another comprehension`,
            fix: "a condition's cost must grow linearly with the request: use one comprehension, or split the condition",
            offset: n.pos,
          },
        ];
      }
      return [];
    }
    case ".":
    case "[]":
    case "id": {
      const kind = n.checkedType?.kind;
      if (scope.inBody && scope.lookup !== true && (kind === "list" || kind === "map") && rootOf(n) === "request") {
        return [
          {
            problem: "a comprehension reads a repeated or map field of request in its body",
            fix: "its cost would grow with the product of two request fields: read only the comprehension's own variable, principal and literals in the body",
            offset: n.start,
          },
        ];
      }
      return [];
    }
    default:
      return [];
  }
}

function firstArgType(n: Node): string | undefined {
  return (n.args as [string, Node[]])[1][0]?.checkedType?.name;
}
