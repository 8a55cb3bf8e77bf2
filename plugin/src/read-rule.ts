import { type DescMethod, type DescService, fromBinary, type Message } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { Rule, RuleProblem } from "protoauthz";
import { type Rule as RuleMessage, RuleSchema } from "protoauthz/protoauthz/v1/authz_pb.js";
import { ruleExtensionNumber } from "./locate.js";

export type ReadRule = { rule: Rule<unknown> | undefined; problems: RuleProblem[] } | undefined;

/** The method's own rule option, or undefined when it declares none. */
export function readMethodRule(method: DescMethod): ReadRule {
  return readOption(method.proto.options);
}

/** The service's default_rule option, or undefined when it declares none. */
export function readServiceRule(service: DescService): ReadRule {
  return readOption(service.proto.options);
}

/**
 * Decodes extension 51720 straight from the options' unknown fields. Same
 * result as getOption(), which first builds a whole zero options message per
 * call: the plugin's hottest step on large inputs. Repeated occurrences of a
 * message field merge, which decoding their concatenation does.
 */
function readOption(options: Message | undefined): ReadRule {
  const occurrences = options?.$unknown?.filter((field) => field.no === ruleExtensionNumber);
  if (occurrences === undefined || occurrences.length === 0) return undefined;
  if (occurrences.some((field) => field.wireType !== WireType.LengthDelimited)) {
    return { rule: undefined, problems: [{ problem: "rule option is not a message", fix: "write option (protoauthz.v1.rule) = { … }" }] };
  }
  const payloads = occurrences.map((field) => new BinaryReader(field.data).bytes());
  const bytes = payloads.length === 1 ? (payloads[0] ?? new Uint8Array()) : Buffer.concat(payloads);
  // Large APIs repeat a handful of rules; decode each distinct one once.
  const key = Buffer.from(bytes).toString("latin1");
  let read = decoded.get(key);
  if (read === undefined) {
    read = fromMessage(fromBinary(RuleSchema, bytes));
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
    case "authenticated": {
      const { principals, scopes, roles, bindings } = access.value;
      return {
        rule: {
          access: "authenticated",
          principals,
          scopes,
          roles,
          bindings: bindings.map(({ field, attribute }) => ({ field, attribute })),
        },
        problems: [],
      };
    }
    default:
      return {
        rule: undefined,
        problems: [{ problem: "rule sets no access", fix: "set exactly one of public, authenticated or deny" }],
      };
  }
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
