import { type DescMethod, type DescService, fromBinary, type Message } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { Requirements, Rule, RuleProblem } from "protoauthz";
import { type Authenticated, type Rule as RuleMessage, RuleSchema } from "protoauthz/protoauthz/v1/authz_pb.js";
import { ruleExtensionNumber } from "./locate.js";

export type ReadRule = { rule: Rule<unknown> | undefined; problems: RuleProblem[] } | undefined;

/** The method's own rule option, or undefined when it declares none. */
export function readMethodRule(method: DescMethod): ReadRule {
  return readOption(method.proto.options, "rule");
}

/** The service's default_rule option, or undefined when it declares none. */
export function readServiceRule(service: DescService): ReadRule {
  return readOption(service.proto.options, "default_rule");
}

/**
 * Decodes extension 51720 straight from the options' unknown fields. Same
 * result as getOption(), which first builds a whole zero options message per
 * call: the plugin's hottest step on large inputs.
 */
function readOption(options: Message | undefined, name: "rule" | "default_rule"): ReadRule {
  const occurrences = options?.$unknown?.filter((field) => field.no === ruleExtensionNumber);
  if (occurrences === undefined || occurrences.length === 0) return undefined;
  const refuse = (problem: string, fix: string) => ({ rule: undefined, problems: [{ problem, fix }] });
  // protobuf merges repeated occurrences, so `….deny.reason = "…"` then
  // `….public.reason = "…"` would silently become public (protoc writes one
  // occurrence per statement; buf merges them itself).
  if (occurrences.length > 1) {
    return refuse(
      `the ${name} option is set by ${occurrences.length} statements, which protobuf merges into one rule`,
      `write it as one statement: option (protoauthz.v1.${name}) = { … };`,
    );
  }
  const [occurrence] = occurrences;
  if (occurrence === undefined || occurrence.wireType !== WireType.LengthDelimited) {
    return refuse(`the ${name} option is not a message`, `write option (protoauthz.v1.${name}) = { … };`);
  }
  // Large APIs repeat a handful of rules; decode each distinct one once.
  const key = Buffer.from(occurrence.data).toString("latin1");
  let read = decoded.get(key);
  if (read === undefined) {
    try {
      read = fromMessage(fromBinary(RuleSchema, new BinaryReader(occurrence.data).bytes()));
    } catch (error) {
      read = refuse(
        `the ${name} option's bytes do not decode (${error instanceof Error ? error.message : String(error)})`,
        "compile the descriptors from the .proto source with protoc or buf",
      );
    }
    decoded.set(key, read);
  }
  return read;
}

/** Decoded rules by their bytes. Results are never mutated, so sharing is safe. */
const decoded = new Map<string, { rule: Rule<unknown> | undefined; problems: RuleProblem[] }>();

/** Converts the option message to a rule, refusing anything it does not understand. */
function fromMessage(message: RuleMessage): { rule: Rule<unknown> | undefined; problems: RuleProblem[] } {
  const unknown = unknownFields(message);
  if (unknown.length > 0) {
    return {
      rule: undefined,
      problems: [
        {
          problem: `rule sets fields this protoc-gen-authz does not know (${unknown.join(", ")})`,
          fix: "upgrade protoc-gen-authz to the version of the protoauthz.v1 schema you import",
        },
      ],
    };
  }
  const access = message.access;
  switch (access.case) {
    case "public":
    case "deny":
      return { rule: { access: access.case, reason: access.value.reason }, problems: [] };
    case "authenticated":
      return { rule: { access: "authenticated", ...requirements(access.value) }, problems: [] };
    case "anyOf":
      return { rule: { access: "any_of", alternatives: access.value.alternatives.map(requirements) }, problems: [] };
    default:
      return {
        rule: undefined,
        problems: [{ problem: "rule sets no access", fix: "set exactly one of public, authenticated, any_of or deny" }],
      };
  }
}

/** One authenticated block, as the runtime's Requirements. */
function requirements(block: Authenticated): Requirements<unknown> {
  const { principals, scopes, roles, bindings, relations, conditions } = block;
  return {
    principals,
    scopes,
    roles,
    bindings: bindings.map(({ field, attribute }) => ({ field, attribute })),
    relations: relations.map(({ resourceType, idField, permission }) => ({ resourceType, idField, permission })),
    ...(conditions.length === 0 ? {} : { conditions }),
  };
}

/** "field 5 of protoauthz.v1.Authenticated" for every unknown field, at any depth. */
function unknownFields(message: Message): string[] {
  const found: string[] = [];
  const visit = (m: Message) => {
    for (const field of m.$unknown ?? []) found.push(`field ${field.no} of ${m.$typeName}`);
    for (const value of Object.values(m) as unknown[]) {
      if (Array.isArray(value)) {
        for (const v of value) if (isMessage(v)) visit(v);
      } else if (isMessage(value)) visit(value);
      else if (isOneof(value) && isMessage(value.value)) visit(value.value);
    }
  };
  visit(message);
  return found;
}

function isOneof(value: unknown): value is { case: string | undefined; value?: unknown } {
  return value !== null && typeof value === "object" && "case" in value;
}

function isMessage(value: unknown): value is Message {
  return value !== null && typeof value === "object" && typeof (value as { $typeName?: unknown }).$typeName === "string";
}
