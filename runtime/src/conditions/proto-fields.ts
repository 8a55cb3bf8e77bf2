// How a condition sees a protobuf-es message: each field's CEL type (for the
// checker) and a reader giving its CEL value (for the evaluator), with proto
// semantics: an unset scalar reads as its default, an unset message as an
// empty message, an unset wrapper as null; has() follows field presence.
import { create, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { CelDuration, type CelMap, CelTimestamp, RecordMap } from "./values.js";

/** Message types a condition cannot read (their content is not typed). */
export const unreadableTypes = new Set(["google.protobuf.Any"]);

const wrappers: Record<string, string> = {
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "double",
  "google.protobuf.Int64Value": "int",
  "google.protobuf.UInt64Value": "uint",
  "google.protobuf.Int32Value": "int",
  "google.protobuf.UInt32Value": "uint",
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
};

/** The CEL type name of a message type, or undefined when it is a message of its own. */
export function wellKnownCelType(typeName: string): string | undefined {
  switch (typeName) {
    case "google.protobuf.Timestamp":
      return "google.protobuf.Timestamp";
    case "google.protobuf.Duration":
      return "google.protobuf.Duration";
    case "google.protobuf.Struct":
      return "map<string, dyn>";
    case "google.protobuf.Value":
      return "dyn";
    case "google.protobuf.ListValue":
      return "list<dyn>";
    default:
      // A wrapper is its scalar or null: dyn, so that `== null` type-checks.
      return wrappers[typeName] === undefined ? undefined : "dyn";
  }
}

export function scalarCelType(scalar: ScalarType): string {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return "double";
    case ScalarType.UINT32:
    case ScalarType.UINT64:
    case ScalarType.FIXED32:
    case ScalarType.FIXED64:
      return "uint";
    case ScalarType.BOOL:
      return "bool";
    case ScalarType.STRING:
      return "string";
    case ScalarType.BYTES:
      return "bytes";
    default:
      return "int";
  }
}

function messageCelType(message: DescMessage): string {
  return wellKnownCelType(message.typeName) ?? message.typeName;
}

/** The CEL type of a field, as the checker declares it. */
export function fieldCelType(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return scalarCelType(field.scalar);
    case "enum":
      return "int";
    case "message":
      return messageCelType(field.message);
    case "list":
      return `list<${field.listKind === "scalar" ? scalarCelType(field.scalar) : field.listKind === "enum" ? "int" : messageCelType(field.message)}>`;
    case "map": {
      const value =
        field.mapKind === "scalar" ? scalarCelType(field.scalar) : field.mapKind === "enum" ? "int" : messageCelType(field.message);
      return `map<${scalarCelType(field.mapKey)}, ${value}>`;
    }
  }
}

type Convert = (raw: unknown) => unknown;

function scalarValue(scalar: ScalarType): Convert {
  switch (scalarCelType(scalar)) {
    case "int":
    case "uint":
      // int32 fields are numbers, 64-bit ones bigint, or strings under jstype = JS_STRING.
      return (v) => (typeof v === "bigint" ? v : BigInt(v as number | string));
    default:
      return (v) => v;
  }
}

const enumValue: Convert = (v) => BigInt(v as number);

/** A message value: well-known types become CEL values, others stay messages. */
function messageValue(message: DescMessage, unboxed: boolean): Convert {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return (v) => {
        const t = v as { seconds: bigint; nanos: number } | undefined;
        return new CelTimestamp(t === undefined ? 0n : t.seconds * 1_000_000_000n + BigInt(t.nanos));
      };
    case "google.protobuf.Duration":
      return (v) => {
        const d = v as { seconds: bigint; nanos: number } | undefined;
        return new CelDuration(d === undefined ? 0n : d.seconds * 1_000_000_000n + BigInt(d.nanos));
      };
    case "google.protobuf.Struct":
      return unboxed ? (v) => jsonValue(v ?? {}) : (v) => structMessage(v);
    case "google.protobuf.Value":
      return unboxed ? (v) => jsonValue(v ?? null) : (v) => valueMessage(v);
    case "google.protobuf.ListValue":
      return unboxed ? (v) => jsonValue(v ?? []) : (v) => ((v as { values?: unknown[] } | undefined)?.values ?? []).map(valueMessage);
  }
  const wrapped = wrappers[message.typeName];
  if (wrapped !== undefined) {
    const scalar = scalarValue(wrapped === "int" || wrapped === "uint" ? ScalarType.INT64 : ScalarType.STRING);
    return unboxed
      ? (v) => (v === undefined ? null : scalar(v))
      : (v) => (v === undefined ? null : scalar((v as { value: unknown }).value));
  }
  const empty = create(message);
  return (v) => v ?? empty;
}

function jsonValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === "object") return new RecordMap(v as Record<string, unknown>, (k) => k, jsonValue);
  return v;
}

function structMessage(v: unknown): CelMap {
  return new RecordMap((v as { fields?: Record<string, unknown> } | undefined)?.fields ?? {}, (k) => k, valueMessage);
}

function valueMessage(v: unknown): unknown {
  const kind = (v as { kind?: { case?: string; value?: unknown } } | undefined)?.kind;
  switch (kind?.case) {
    case "numberValue":
    case "stringValue":
    case "boolValue":
      return kind.value;
    case "structValue":
      return structMessage(kind.value);
    case "listValue":
      return ((kind.value as { values?: unknown[] }).values ?? []).map(valueMessage);
    default:
      return null;
  }
}

function keyFromString(scalar: ScalarType): (key: string) => unknown {
  switch (scalarCelType(scalar)) {
    case "int":
    case "uint":
      return (k) => BigInt(k);
    case "bool":
      return (k) => k === "true";
    default:
      return (k) => k;
  }
}

/** The value of one element (of a list) or one map value, by the field's element kind. */
function elementValue(field: DescField & { fieldKind: "list" | "map" }): Convert {
  const kind = field.fieldKind === "list" ? field.listKind : field.mapKind;
  if (kind === "scalar") return scalarValue(field.scalar as ScalarType);
  if (kind === "enum") return enumValue;
  return messageValue(field.message as DescMessage, false);
}

/** A reader of a field's CEL value from a protobuf-es message of its type. */
export function fieldReader(field: DescField): Convert {
  const convert = fieldValue(field);
  const local = field.localName;
  if (field.oneof !== undefined) {
    const oneof = field.oneof.localName;
    const unset = convert(defaultRaw(field));
    return (m) => {
      const o = (m as Record<string, { case?: string; value?: unknown }>)[oneof];
      return o?.case === local ? convert(o.value) : unset;
    };
  }
  return (m) => convert((m as Record<string, unknown>)[local]);
}

function fieldValue(field: DescField): Convert {
  switch (field.fieldKind) {
    case "scalar": {
      const s = scalarValue(field.scalar);
      const fallback = defaultRaw(field);
      return (v) => s(v ?? fallback);
    }
    case "enum":
      return (v) => enumValue(v ?? 0);
    case "message":
      return messageValue(field.message, true);
    case "list": {
      // A list of strings, bools, doubles or bytes is its CEL value as it is: read
      // per call, it must not be copied per call (nothing in the evaluator mutates a list).
      if (field.listKind === "scalar" && !isIntegral(field.scalar)) return (v) => (v as unknown[] | undefined) ?? noElements;
      const element = elementValue(field);
      return (v) => ((v as unknown[] | undefined) ?? noElements).map(element);
    }
    case "map": {
      const value = elementValue(field);
      const key = keyFromString(field.mapKey);
      return (v) => new RecordMap((v as Record<string, unknown> | undefined) ?? {}, key, value);
    }
  }
}

const noElements: readonly unknown[] = Object.freeze([]);

function isIntegral(scalar: ScalarType): boolean {
  const type = scalarCelType(scalar);
  return type === "int" || type === "uint";
}

function defaultRaw(field: DescField): unknown {
  if (field.fieldKind === "enum") return 0;
  if (field.fieldKind !== "scalar") return undefined;
  switch (scalarCelType(field.scalar)) {
    case "int":
    case "uint":
      return 0n;
    case "double":
      return 0;
    case "bool":
      return false;
    case "string":
      return "";
    default:
      return new Uint8Array(0);
  }
}

/** has(): presence as proto defines it for the field. */
export function fieldPresence(field: DescField): (m: unknown) => boolean {
  const local = field.localName;
  if (field.oneof !== undefined) {
    const oneof = field.oneof.localName;
    return (m) => (m as Record<string, { case?: string }>)[oneof]?.case === local;
  }
  switch (field.fieldKind) {
    case "list":
      return (m) => ((m as Record<string, unknown[] | undefined>)[local]?.length ?? 0) > 0;
    case "map":
      return (m) => Object.keys((m as Record<string, object | undefined>)[local] ?? {}).length > 0;
    case "message":
      return (m) => (m as Record<string, unknown>)[local] !== undefined;
    default:
      // 1 = EXPLICIT: presence tracked (proto3 optional, proto2); else set means not the default.
      if (field.presence === 1) return (m) => (m as Record<string, unknown>)[local] !== undefined;
      if (field.fieldKind === "scalar" && (scalarCelType(field.scalar) === "int" || scalarCelType(field.scalar) === "uint")) {
        // An int64 under jstype = JS_STRING is "0" when unset.
        return (m) => {
          const v = (m as Record<string, number | bigint | string | undefined>)[local];
          return v !== undefined && BigInt(v) !== 0n;
        };
      }
      return (m) => isSet((m as Record<string, unknown>)[local]);
  }
}

function isSet(v: unknown): boolean {
  switch (typeof v) {
    case "number":
      return v !== 0;
    case "string":
      return v !== "";
    case "boolean":
      return v;
    default:
      return v instanceof Uint8Array ? v.length > 0 : v !== undefined;
  }
}
