// The CEL environment a condition is checked in: `request` typed as the RPC's
// input message (every message type it reaches registered by its proto field
// names) and `principal` as protoauthz.Principal.
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { Environment } from "@marcbachmann/cel-js";
import { fieldCelType, unreadableTypes, wellKnownCelType } from "./proto-fields.js";

export const principalTypeName = "protoauthz.Principal";

/** The principal's fields, by CEL type. */
export const principalFields: Readonly<Record<string, string>> = {
  kind: "string",
  subject: "string",
  scopes: "list<string>",
  roles: "list<string>",
  attributes: "map<string, string>",
};

/** The environment of one request type, with the message types it reaches by CEL type name. */
export interface ConditionEnvironment {
  readonly env: Environment;
  readonly request: DescMessage;
  /** Message types by full name, for field lookups of the checker and the evaluator. */
  readonly messages: ReadonlyMap<string, DescMessage>;
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
 * The environments of the request types checked last. One cel-js Environment
 * is ~30 KB: kept for every request type for the life of the process, 5,000
 * of them made guard start spend most of its time collecting garbage. Checks
 * come in runs of one request type (a rule's conditions, an RPC's), at
 * generation and at guard start, so a few suffice.
 */
const recent = new Map<DescMessage, ConditionEnvironment>();
const recentLimit = 16;

export function environmentOf(request: DescMessage): ConditionEnvironment {
  const found = recent.get(request);
  if (found !== undefined) return found;
  const built = build(request);
  if (recent.size >= recentLimit) recent.delete(recent.keys().next().value as DescMessage);
  recent.set(request, built);
  return built;
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

function build(request: DescMessage): ConditionEnvironment {
  const messages = messagesOf(request);
  // The clone sees only the principal: the types below are its own, so a
  // condition on one request type never sees another's fields.
  const env = baseEnvironment().clone();
  for (const message of messages.values()) {
    const fields: Record<string, string> = {};
    for (const field of message.fields) {
      if (!unreadable(field)) fields[field.name] = fieldCelType(field);
    }
    // The checker only needs the fields; values are read by the evaluator, never by cel-js.
    env.registerType(message.typeName, { ctor: class {}, fields });
  }
  env.registerVariable("request", request.typeName);
  return { env, request, messages };
}

const messagesByRequest = new WeakMap<DescMessage, ReadonlyMap<string, DescMessage>>();

/** The message types `request` reaches, by full name (a few references, kept per request type). */
function messagesOf(request: DescMessage): ReadonlyMap<string, DescMessage> {
  let messages = messagesByRequest.get(request);
  if (messages === undefined) {
    const collected = new Map<string, DescMessage>();
    collect(request, collected);
    messagesByRequest.set(request, (messages = collected));
  }
  return messages;
}

/** A field the checker hides: an Any, or a list or map of them. */
export function unreadable(field: DescField): boolean {
  return field.message !== undefined && unreadableTypes.has(field.message.typeName);
}

function collect(message: DescMessage, into: Map<string, DescMessage>): void {
  if (into.has(message.typeName) || wellKnownCelType(message.typeName) !== undefined) return;
  into.set(message.typeName, message);
  for (const field of message.fields) {
    if (field.message !== undefined && !unreadableTypes.has(field.message.typeName)) collect(field.message, into);
  }
}
