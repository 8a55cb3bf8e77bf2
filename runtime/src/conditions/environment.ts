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

const cache = new WeakMap<DescMessage, ConditionEnvironment>();

class PrincipalValue {}

export function environmentOf(request: DescMessage): ConditionEnvironment {
  let found = cache.get(request);
  if (found === undefined) {
    found = build(request);
    cache.set(request, found);
  }
  return found;
}

function build(request: DescMessage): ConditionEnvironment {
  const messages = new Map<string, DescMessage>();
  collect(request, messages);
  const env = new Environment({ limits: expressionLimits });
  for (const message of messages.values()) {
    const fields: Record<string, string> = {};
    for (const field of message.fields) {
      if (!unreadable(field)) fields[field.name] = fieldCelType(field);
    }
    // The checker only needs the fields; values are read by the evaluator, never by cel-js.
    env.registerType(message.typeName, { ctor: class {}, fields });
  }
  env.registerType(principalTypeName, { ctor: PrincipalValue, fields: principalFields });
  env.registerVariable("request", request.typeName);
  env.registerVariable("principal", principalTypeName);
  return { env, request, messages };
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
