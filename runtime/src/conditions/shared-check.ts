// One type check for every request type and condition that check alike.
// Whether a condition type-checks depends only on its syntax tree, with each
// number literal's type but not its value, and on the types along each chain
// of fields it selects from `request` (`request.target.tenant`: the target
// field's type, then Target's tenant field's); where a chain stops at a
// message used as a whole, or goes on through a list, a map or a
// comprehension, that message's identity fixes the rest. Conditions that
// agree on those share one check, so `request.page_size <= 100` on the List
// RPCs of an API, and `request.amount <= 500` next to `<= 1000`, are checked
// once: a type check needs an environment per request type, which costs far
// more than the check itself.
import type { DescMessage } from "@bufbuild/protobuf";
import { type ConditionProblem, children, comprehensions, isNode, type Node } from "./ast.js";
import { typeCheckOnce } from "./check.js";
import { maxExpressionLength, parseExpression, unreadable } from "./environment.js";
import { fieldCelType } from "./proto-fields.js";
import { type ConditionVocabulary, closesNames, outsideVocabulary, type VocabularyLiteral, vocabularyLiterals } from "./vocabulary.js";

/** What the sharing needs of an expression; undefined when it cannot be shared. */
interface Reads {
  /** The syntax tree, each number literal written as its type: what the check reads of the text. */
  readonly shape: string;
  /** Each chain of fields selected from `request` (`request.a.b` is ["a", "b"]), by proto name. */
  readonly paths: readonly (readonly string[])[];
  /** `request` used other than by selecting a field: the check depends on the whole type. */
  readonly whole: boolean;
  readonly literals: readonly VocabularyLiteral[];
}

/** Operators whose check depends on nothing but their operands' types. */
const plainOps = new Set([
  "value", "id", ".", "[]", "call", "rcall", "list", "map", "?:", "||", "&&", "!_", "-_",
  "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%",
]); // biome-ignore format: a table

/**
 * The checks of one validator (a generation, a guard's start): which texts
 * can be shared, and which shared checks came out clean. Nothing lasts
 * longer than the validator, so no process keeps what one run learned.
 */
export class ConditionChecks {
  readonly #reads = new Map<string, Reads | null>();
  /** By shape: the read types of the checks that came out clean. */
  readonly #clean = new Map<string, Set<string>>();

  /** `share` false: every condition is checked on its own request type. */
  readonly #share: boolean;

  constructor(share = true) {
    this.#share = share;
  }

  /** The problems of `expression` on `request` (type, cost, vocabulary): what validation reports. */
  problems(expression: string, request: DescMessage, vocabulary: ConditionVocabulary = {}): readonly ConditionProblem[] {
    const reads = this.#share ? this.#readsOf(expression) : undefined;
    const types = reads === undefined ? undefined : readTypes(reads, request);
    let clean = reads === undefined ? undefined : this.#clean.get(reads.shape);
    let literals = reads?.literals;
    if (types === undefined || clean?.has(types) !== true) {
      const result = typeCheckOnce(expression, request);
      if (!("checked" in result)) return result.problems;
      if (reads !== undefined && types !== undefined) {
        if (clean === undefined) this.#clean.set(reads.shape, (clean = new Set()));
        clean.add(types);
      }
      literals ??= closesNames(vocabulary) ? vocabularyLiterals(result.checked.ast) : [];
    }
    return closesNames(vocabulary) ? outsideVocabulary(literals ?? [], vocabulary) : [];
  }

  #readsOf(expression: string): Reads | undefined {
    let reads = this.#reads.get(expression);
    if (reads === undefined) this.#reads.set(expression, (reads = analyze(expression) ?? null));
    return reads ?? undefined;
  }
}

/**
 * Which fields of `request` the expression reads, or undefined when the
 * check might depend on more than those fields' types: a syntax error, an
 * operator not in plainOps, or an identifier that is not request, principal
 * or a comprehension's variable.
 */
function analyze(expression: string): Reads | undefined {
  // Too long to be valid: the check refuses it without parsing, and so does this.
  if (expression.length > maxExpressionLength) return undefined;
  let ast: Node;
  try {
    ast = parseExpression(expression);
  } catch {
    return undefined;
  }
  const paths = new Map<string, string[]>();
  let whole = false;
  const visit = (node: Node, bound: ReadonlySet<string>): boolean => {
    if (!plainOps.has(node.op)) return false;
    if (node.op === "id") {
      const name = node.args as string;
      if (bound.has(name)) return true;
      if (name === "request") whole = true;
      return name === "request" || name === "principal";
    }
    const path = node.op === "." ? requestPath(node, bound) : undefined;
    if (path !== undefined) {
      paths.set(path.join("."), path);
      return true;
    }
    if (node.op === "rcall" && comprehensions.has((node.args as [string])[0])) {
      // `list.all(x, …)`: x is bound in the rest, typed by the receiver, whose reads count
      // (even when x is named request). Any other form is not shared.
      const [, receiver, [variable, ...body]] = node.args as [string, Node, Node[]];
      if (variable?.op !== "id") return false;
      const inner = new Set([...bound, variable.args as string]);
      return visit(receiver, bound) && body.every((part) => visit(part, inner));
    }
    return children(node).every((child) => visit(child, bound));
  };
  if (!visit(ast, new Set())) return undefined;
  return { shape: shapeOf(ast), paths: [...paths.values()], whole, literals: vocabularyLiterals(ast) };
}

/** `request.a.b` (request not bound by a comprehension): ["a", "b"]; otherwise undefined. */
function requestPath(node: Node, bound: ReadonlySet<string>): string[] | undefined {
  const path: string[] = [];
  let n = node;
  while (n.op === ".") {
    const [target, name] = n.args as [Node, string];
    path.push(name);
    n = target;
  }
  return n.op === "id" && n.args === "request" && !bound.has("request") ? path.reverse() : undefined;
}

/**
 * The syntax tree as text. A number's value never decides a type check (its
 * kind does: 1, 1u and 1.0 differ); every other literal stays as written,
 * since a string can name a field (`request.target['tenant']`).
 */
function shapeOf(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(shapeOf).join(",")}]`;
  if (isNode(value)) return `${value.op}(${shapeOf(value.args)})`;
  switch (typeof value) {
    case "bigint":
      return "<int>";
    case "number":
      return "<double>";
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return String(value);
    default:
      return value === null ? "null" : `<${Object.prototype.toString.call(value)} ${String(value)}>`;
  }
}

const messageIds = new WeakMap<DescMessage, number>();
let nextMessageId = 0;

/**
 * The type of each field along each path the expression reads, and the
 * request's identity when it reads request whole; with the expression's
 * shape, what a check's outcome depends on. Undefined when a field does not
 * exist (the check explains).
 */
function readTypes(reads: Reads, request: DescMessage): string | undefined {
  let key = reads.whole ? `#${idOf(request)}` : "";
  for (let p = 0; p < reads.paths.length; p++) {
    const path = reads.paths[p] as readonly string[];
    key += "\u0000";
    let message = request;
    for (let i = 0; i < path.length; i++) {
      const name = path[i] as string;
      const field = message.fields.find((f) => f.name === name);
      if (field === undefined) return undefined;
      const type = unreadable(field) ? "hidden" : fieldCelType(field);
      // A message the checker reads by its fields, whatever its name: on along the path.
      if (field.fieldKind === "message" && type === field.message.typeName && i < path.length - 1) {
        key += `${name}:message.`;
        message = field.message;
        continue;
      }
      // Anything else fixes the rest of the path by its type; a message also by its identity
      // (used whole, or as a list's or a map's values).
      key += `${name}:${type}`;
      if (field.message !== undefined) key += `#${idOf(field.message)}`;
      break;
    }
  }
  return key;
}

function idOf(message: DescMessage): number {
  let id = messageIds.get(message);
  if (id === undefined) messageIds.set(message, (id = nextMessageId++));
  return id;
}
