// The CEL environment a condition is checked in: `request` typed as the RPC's
// input message (each message type it reaches declared by its proto field
// names, when a condition first reads one of its fields) and `principal` as
// protoauthz.Principal.
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { Environment } from "@marcbachmann/cel-js";
import { children, type Node } from "./ast.js";
import { fieldCelType, unreadableTypes, wellKnownCelType } from "./proto-fields.js";
import { Recent } from "./recent.js";

export const principalTypeName = "protoauthz.Principal";

/** The principal's fields, by CEL type. */
export const principalFields: Readonly<Record<string, string>> = {
  kind: "string",
  subject: "string",
  scopes: "list<string>",
  roles: "list<string>",
  attributes: "map<string, string>",
};

/** The environment of one request type. */
export interface ConditionEnvironment {
  readonly env: Environment;
  readonly request: DescMessage;
  /**
   * The message types declared to the checker so far, by full name: the
   * request, and those whose fields a condition read. The checker reads the
   * fields of no other type, so a checked condition's lookups find theirs here.
   */
  readonly messages: ReadonlyMap<string, DescMessage>;
  /**
   * Declares the type of a field of a declared message to the checker, which
   * until then cannot read its fields; false when there is no such type, it
   * is a well-known or unreadable type, or it is declared already.
   */
  declare(typeName: string): boolean;
}

/**
 * Declares the message types the field paths of a parsed expression read
 * (`request.a.b`, `request.list[0].c`), so that checking it rarely has to
 * stop at an undeclared type; the checker's own error catches the rest.
 */
export function declarePaths(environment: ConditionEnvironment, ast: Node): void {
  const typeOf = (node: Node): DescMessage | undefined => {
    if (node.op === "id") return node.args === "request" ? environment.request : undefined;
    if (node.op !== "." && node.op !== "[]") return undefined;
    const [target, key] = node.args as [Node, unknown];
    const owner = typeOf(target);
    if (owner === undefined || node.op === "[]") return owner;
    const field = owner.fields.find((f) => f.name === key);
    if (field?.message === undefined) return undefined;
    environment.declare(field.message.typeName);
    // A list or map of messages: its index (`[]`) is of the element type.
    return field.message;
  };
  const visit = (node: Node): void => {
    typeOf(node);
    for (const child of children(node)) visit(child);
  };
  visit(ast);
}

/**
 * Limits on the parsed expression: a condition is a line of policy, not a
 * program; these keep a hostile or runaway expression from costing the
 * plugin or the guard anything worth measuring.
 */
export const expressionLimits = { maxAstNodes: 500, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 };
/** Longest expression accepted, in characters. */
export const maxExpressionLength = 4096;

class PrincipalValue {}

/**
 * A class of its own for each declared type, made here and not inside
 * build(): a class made there keeps build()'s scope, the whole environment,
 * reachable from what V8 holds in its old generation, and every environment
 * was promoted instead of dying young (measured: ~20 MB per scavenge at a
 * 5,000-type guard start, against 2 MB).
 */
function valueClass(): new () => object {
  return class {};
}

/**
 * The environments of the request types checked last. One cel-js Environment
 * is ~30 KB: kept for every request type for the life of the process, 5,000
 * of them made guard start spend most of its time collecting garbage. Checks
 * come in runs of one request type (a rule's conditions, an RPC's), at
 * generation and at guard start, so a few suffice.
 */
const recent = new Recent<DescMessage, ConditionEnvironment>(16);

export function environmentOf(request: DescMessage): ConditionEnvironment {
  let found = recent.get(request);
  if (found === undefined) recent.set(request, (found = build(request)));
  return found;
}

let base: Environment | undefined;

/**
 * The part every request type shares: the limits, the principal type and
 * variable, and the function and operator indexes a first check builds. A
 * clone shares them instead of rebuilding them, which is most of what a
 * fresh Environment costs (5,000 request types at guard start).
 */
function baseEnvironment(): Environment {
  if (base === undefined) {
    const env = new Environment({ limits: expressionLimits });
    env.registerType(principalTypeName, { ctor: PrincipalValue, fields: principalFields });
    env.registerVariable("principal", principalTypeName);
    env.check("principal.kind == '' && size(principal.roles) == 0");
    base = env;
  }
  return base;
}

/** The expression's AST, unchecked; throws on a syntax error or a limit. */
export function parseExpression(expression: string): Node {
  return baseEnvironment().parse(expression).ast as unknown as Node;
}

function build(request: DescMessage): ConditionEnvironment {
  // The clone sees only the principal: the types below are its own, so a
  // condition on one request type never sees another's fields.
  const env = baseEnvironment().clone();
  const messages = new Map<string, DescMessage>();
  const register = (message: DescMessage): void => {
    const fields: Record<string, string> = {};
    for (const field of message.fields) {
      if (!unreadable(field)) fields[field.name] = fieldCelType(field);
    }
    // The checker only needs the fields; values are read by the evaluator, never by cel-js.
    env.registerType(message.typeName, { ctor: valueClass(), fields });
    messages.set(message.typeName, message);
  };
  // Declaring a type costs the checker ~10 µs, and a request can reach dozens
  // that no condition reads: only the request is declared up front, the rest
  // when a condition reads them, each found as the type of a declared one's field.
  const declare = (typeName: string): boolean => {
    if (messages.has(typeName) || wellKnownCelType(typeName) !== undefined || unreadableTypes.has(typeName)) return false;
    for (const declared of messages.values()) {
      const found = declared.fields.find((f) => f.message?.typeName === typeName)?.message;
      if (found !== undefined) {
        register(found);
        return true;
      }
    }
    return false;
  };
  register(request);
  env.registerVariable("request", request.typeName);
  return { env, request, messages, declare };
}

/** A field the checker hides: an Any, or a list or map of them. */
export function unreadable(field: DescField): boolean {
  return field.message !== undefined && unreadableTypes.has(field.message.typeName);
}
