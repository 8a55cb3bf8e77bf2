// Compiles a checked condition into a closure over protobuf-es messages, once:
// each node becomes a function chosen by its static type, so an evaluation
// reads fields and compares values with nothing looked up per call.
import type { Principal } from "../principal.js";
import type { Node } from "./ast.js";
import type { CheckedCondition } from "./check.js";
import { principalTypeName } from "./environment.js";
import type { Compiler, Eval } from "./eval.js";
import { compileMacro } from "./macros.js";
import { arithmetic, convert, dynamicArithmetic, parseDuration, parseTimestamp, sizeOf, stringMethods } from "./operators.js";
import { fieldPresence, fieldReader } from "./proto-fields.js";
import { type CelMap, ConditionEvalError, celCompare, celEquals, checkedInt, isCelMap, LiteralMap, RecordMap, typeName } from "./values.js";

export function compileChecked(checked: CheckedCondition): { readonly run: Eval; readonly slots: number } {
  const compiler: Compiler = {
    messages: checked.messages,
    locals: new Map(),
    slots: 0,
    compile: (node) => compileNode(compiler, node),
  };
  const run = compiler.compile(checked.ast);
  return { run, slots: compiler.slots };
}

const identity = (k: string) => k;

function compileNode(c: Compiler, node: Node): Eval {
  const at = node.pos;
  switch (node.op) {
    case "value":
      return literal(node.args);
    case "id": {
      const name = node.args as string;
      const slot = c.locals.get(name);
      if (slot !== undefined) return (_r, _p, l) => l[slot];
      if (name === "request") return (r) => r;
      if (name === "principal") return (_r, p) => p;
      throw new ConditionEvalError(`unknown variable ${name}`, at);
    }
    case ".":
      return select(c, node);
    case "[]": {
      const [target, index] = (node.args as [Node, Node]).map((n) => c.compile(n)) as [Eval, Eval];
      return (r, p, l) => indexValue(target(r, p, l), index(r, p, l), at);
    }
    case "list": {
      const items = (node.args as Node[]).map((n) => c.compile(n));
      return (r, p, l) => items.map((item) => item(r, p, l));
    }
    case "map": {
      const entries = (node.args as [Node, Node][]).map(([k, v]) => [c.compile(k), c.compile(v)] as const);
      return (r, p, l) =>
        new LiteralMap(
          entries.map(([k, v]) => [k(r, p, l), v(r, p, l)] as const),
          at,
        );
    }
    case "?:": {
      const [cond, then, otherwise] = (node.args as [Node, Node, Node]).map((n) => c.compile(n)) as [Eval, Eval, Eval];
      return (r, p, l) => (bool(cond(r, p, l), at) ? then(r, p, l) : otherwise(r, p, l));
    }
    case "&&":
    case "||":
      return logical(c, node);
    case "!_": {
      const operand = c.compile(node.args as Node);
      return (r, p, l) => !bool(operand(r, p, l), at);
    }
    case "-_": {
      const operand = c.compile(node.args as Node);
      return (r, p, l) => {
        const v = operand(r, p, l);
        if (typeof v === "bigint") return checkedInt(-v, at);
        if (typeof v === "number") return -v;
        throw new ConditionEvalError(`no such overload: -${typeName(v)}`, at);
      };
    }
    case "call":
      return call(c, node);
    case "rcall":
      return method(c, node);
    default:
      return binary(c, node);
  }
}

function literal(value: unknown): Eval {
  // A uint literal is cel-js's UnsignedInt; the evaluator keeps every integer as a bigint.
  const v = typeof value === "object" && value !== null && !(value instanceof Uint8Array) ? (value as { value: bigint }).value : value;
  return () => v;
}

function bool(v: unknown, at: number): boolean {
  if (typeof v === "boolean") return v;
  throw new ConditionEvalError(`expected bool, got ${typeName(v)}`, at);
}

function logical(c: Compiler, node: Node): Eval {
  const [left, right] = (node.args as [Node, Node]).map((n) => c.compile(n)) as [Eval, Eval];
  const at = node.pos;
  // CEL's && and || are commutative over errors: false && error is false, whichever side errs.
  const short = node.op === "||";
  return (r, p, l) => {
    let first: boolean | ConditionEvalError;
    try {
      first = bool(left(r, p, l), at);
    } catch (error) {
      if (!(error instanceof ConditionEvalError)) throw error;
      first = error;
    }
    if (first === short) return short;
    const second = bool(right(r, p, l), at);
    if (second === short) return short;
    if (first instanceof ConditionEvalError) throw first;
    return !short;
  };
}

function select(c: Compiler, node: Node): Eval {
  const [targetNode, field] = node.args as [Node, string];
  const target = c.compile(targetNode);
  const at = node.pos;
  const type = targetNode.checkedType?.name;
  const message = type === undefined ? undefined : c.messages.get(type);
  if (message !== undefined) {
    const desc = message.fields.find((f) => f.name === field);
    if (desc === undefined) throw new ConditionEvalError(`${type} has no field ${field}`, at);
    const read = fieldReader(desc);
    return (r, p, l) => read(target(r, p, l));
  }
  if (type === principalTypeName) {
    if (field === "attributes") return (r, p, l) => new RecordMap((target(r, p, l) as Principal).attributes, identity, (v) => v);
    return (r, p, l) => (target(r, p, l) as unknown as Record<string, unknown>)[field];
  }
  return (r, p, l) => indexValue(target(r, p, l), field, at);
}

function indexValue(target: unknown, key: unknown, at: number): unknown {
  if (isCelMap(target)) {
    const v = target.get(key);
    if (v === undefined) throw new ConditionEvalError(`no such key: ${String(key).slice(0, 64)}`, at);
    return v;
  }
  if (Array.isArray(target)) {
    const i = typeof key === "bigint" ? key : typeof key === "number" && Number.isInteger(key) ? BigInt(key) : undefined;
    if (i === undefined) throw new ConditionEvalError(`list index of type ${typeName(key)}`, at);
    if (i < 0n || i >= BigInt(target.length)) throw new ConditionEvalError(`index ${i} out of range (size ${target.length})`, at);
    return target[Number(i)];
  }
  throw new ConditionEvalError(`cannot index ${typeName(target)}`, at);
}

function call(c: Compiler, node: Node): Eval {
  const [name, argNodes] = node.args as [string, Node[]];
  const at = node.pos;
  if (name === "has") return presence(c, argNodes[0] as Node);
  const args = argNodes.map((n) => c.compile(n));
  const arg = args[0] as Eval;
  const from = argNodes[0]?.checkedType?.name ?? "dyn";
  switch (name) {
    case "size":
      return (r, p, l) => sizeOf(arg(r, p, l), at);
    case "timestamp":
    case "duration": {
      const parse = name === "timestamp" ? parseTimestamp : parseDuration;
      const only = argNodes[0] as Node;
      // A literal is parsed once, here: a malformed one fails the guard's start, not a call.
      if (only.op === "value" && typeof only.args === "string") {
        const value = parse(only.args, at);
        return () => value;
      }
      return (r, p, l) => parse(arg(r, p, l) as string, at);
    }
    case "dyn":
      return arg;
    default: {
      const to = convert(name, from, at);
      return (r, p, l) => to(arg(r, p, l));
    }
  }
}

/** has(x.f): proto presence on messages, key presence on maps. */
function presence(c: Compiler, argument: Node): Eval {
  const [targetNode, field] = argument.args as [Node, string];
  const target = c.compile(targetNode);
  const type = targetNode.checkedType?.name;
  const message = type === undefined ? undefined : c.messages.get(type);
  if (message !== undefined) {
    const desc = message.fields.find((f) => f.name === field);
    if (desc === undefined) throw new ConditionEvalError(`${type} has no field ${field}`, argument.pos);
    const has = fieldPresence(desc);
    return (r, p, l) => has(target(r, p, l));
  }
  if (type === principalTypeName) {
    return (r, p, l) => {
      const v = (target(r, p, l) as unknown as Record<string, unknown>)[field];
      return typeof v === "string" ? v !== "" : Array.isArray(v) ? v.length > 0 : Object.keys(v as object).length > 0;
    };
  }
  return (r, p, l) => {
    const v = target(r, p, l);
    if (isCelMap(v)) return (v as CelMap).has(field);
    throw new ConditionEvalError(`has() on ${typeName(v)}`, argument.pos);
  };
}

function method(c: Compiler, node: Node): Eval {
  const [name, receiverNode, argNodes] = node.args as [string, Node, Node[]];
  const at = node.pos;
  const macro = compileMacro(c, name, receiverNode, argNodes, at);
  if (macro !== undefined) return macro;
  const receiver = c.compile(receiverNode);
  if (name === "size") return (r, p, l) => sizeOf(receiver(r, p, l), at);
  const fn = stringMethods[name];
  if (fn === undefined) throw new ConditionEvalError(`${name}() is not supported`, at);
  const arg = argNodes[0] === undefined ? () => "" : c.compile(argNodes[0]);
  return (r, p, l) => fn(receiver(r, p, l) as string, arg(r, p, l) as string);
}

function binary(c: Compiler, node: Node): Eval {
  const [leftNode, rightNode] = node.args as [Node, Node];
  const left = c.compile(leftNode);
  const right = c.compile(rightNode);
  const at = node.pos;
  // Closures below capture `op`, never `node`: a compiled condition must not keep its AST alive.
  const op = node.op;
  switch (op) {
    case "==":
      return (r, p, l) => celEquals(left(r, p, l), right(r, p, l));
    case "!=":
      return (r, p, l) => !celEquals(left(r, p, l), right(r, p, l));
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const test =
        op === "<" ? (n: number) => n < 0 : op === "<=" ? (n: number) => n <= 0 : op === ">" ? (n: number) => n > 0 : (n: number) => n >= 0;
      return (r, p, l) => {
        const a = left(r, p, l);
        const b = right(r, p, l);
        const order = celCompare(a, b);
        if (order === undefined) throw new ConditionEvalError(`no such overload: ${typeName(a)} ${op} ${typeName(b)}`, at);
        return test(order);
      };
    }
    case "in":
      return (r, p, l) => {
        const item = left(r, p, l);
        const collection = right(r, p, l);
        if (Array.isArray(collection)) return collection.some((x) => celEquals(x, item));
        if (isCelMap(collection)) return collection.has(item);
        throw new ConditionEvalError(`no such overload: ${typeName(item)} in ${typeName(collection)}`, at);
      };
    default: {
      const leftType = leftNode.checkedType?.name ?? "dyn";
      const rightType = rightNode.checkedType?.name ?? "dyn";
      const f = arithmetic(op, leftType, rightType, at) ?? dynamicArithmetic(op, at);
      return (r, p, l) => f(left(r, p, l), right(r, p, l));
    }
  }
}
