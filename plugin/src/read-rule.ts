import { type DescMethod, type DescService, fromBinary, type Message } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import {
  type Authenticated,
  default_rule,
  type Requirements,
  type Rule,
  type RuleMessage,
  type RuleProblem,
  RuleSchema,
  rule as ruleExtension,
} from "protoauthz/tool";

type Decoded = { rule: Rule<unknown> | undefined; problems: RuleProblem[] };
type OptionName = "rule" | "default_rule";
type UnknownField = NonNullable<Message["$unknown"]>[number];
export type ReadRule = Decoded | undefined;

/**
 * Decoded rules by their bytes, for one run. Results are never mutated, so
 * RPCs that declare the same bytes share one rule object (and collect
 * validates it once per request type). Looked up by a hash of the bytes, so
 * the thousands of RPCs of a large API cost no allocation here.
 */
export class DecodedRules {
  private readonly byHash = new Map<number, { readonly bytes: Uint8Array; readonly read: Decoded }[]>();

  /** The rule these bytes decode to, decoding them only the first time. */
  get(bytes: Uint8Array, name: OptionName): Decoded {
    const hash = fnv1a(bytes);
    let bucket = this.byHash.get(hash);
    if (bucket === undefined) this.byHash.set(hash, (bucket = []));
    for (const entry of bucket) if (sameBytes(entry.bytes, bytes)) return entry.read;
    const read = decode(bytes, name);
    bucket.push({ bytes, read });
    return read;
  }
}

function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The method's own rule option, or undefined when it declares none. */
export function readMethodRule(method: DescMethod, decoded: DecodedRules): ReadRule {
  return readOption(method.proto.options, "rule", ruleExtension.number, decoded);
}

/** The service's default_rule option, or undefined when it declares none. */
export function readServiceRule(service: DescService, decoded: DecodedRules): ReadRule {
  return readOption(service.proto.options, "default_rule", default_rule.number, decoded);
}

/**
 * Decodes the extension straight from the options' unknown fields. Same
 * result as getOption(), which first builds a whole zero options message per
 * call: the plugin's hottest step on large inputs.
 */
function readOption(options: Message | undefined, name: OptionName, number: number, decoded: DecodedRules): ReadRule {
  let occurrence: UnknownField | undefined;
  let occurrences = 0;
  for (const field of options?.$unknown ?? []) {
    if (field.no !== number) continue;
    occurrence ??= field;
    occurrences++;
  }
  if (occurrence === undefined) return undefined;
  // protobuf merges repeated occurrences, so `….deny.reason = "…"` then
  // `….public.reason = "…"` would silently become public (protoc writes one
  // occurrence per statement; buf merges them itself).
  if (occurrences > 1) {
    return refuse(
      `the ${name} option is set by ${occurrences} statements, which protobuf merges into one rule`,
      `write it as one statement: option (protoauthz.v1.${name}) = { … };`,
    );
  }
  if (occurrence.wireType !== WireType.LengthDelimited) {
    return refuse(`the ${name} option is not a message`, `write option (protoauthz.v1.${name}) = { … };`);
  }
  // Large APIs repeat a handful of rules; decode each distinct one once.
  return decoded.get(occurrence.data, name);
}

function decode(data: Uint8Array, name: OptionName): Decoded {
  try {
    return fromMessage(fromBinary(RuleSchema, new BinaryReader(data).bytes()));
  } catch (error) {
    return refuse(
      `the ${name} option's bytes do not decode (${error instanceof Error ? error.message : String(error)})`,
      "compile the descriptors from the .proto source with protoc or buf",
    );
  }
}

function refuse(problem: string, fix: string): Decoded {
  return { rule: undefined, problems: [{ problem, fix }] };
}

/** Converts the option message to a rule, refusing anything it does not understand. */
function fromMessage(message: RuleMessage): Decoded {
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
