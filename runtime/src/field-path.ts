import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

/** Scalars a binding may end on: they compare unambiguously as strings. */
const bindableScalars = new Set<ScalarType>([
  ScalarType.STRING,
  ScalarType.INT32,
  ScalarType.INT64,
  ScalarType.UINT32,
  ScalarType.UINT64,
  ScalarType.SINT32,
  ScalarType.SINT64,
  ScalarType.FIXED32,
  ScalarType.FIXED64,
  ScalarType.SFIXED32,
  ScalarType.SFIXED64,
]);

export type FieldPathResult = { ok: true; fields: readonly DescField[] } | { ok: false; problem: string; fix: string };

/**
 * The deepest path a binding or relation may name. Every step costs the
 * plugin a line of generated code and the guard a lookup per message, and no
 * real request nests this deep; a longer path is refused before it is walked.
 */
export const maxFieldPathDepth = 64;

/**
 * Resolves a dotted path of proto field names ("target.sandbox_id") against a
 * request message. The path must step through singular message fields only
 * and end on a singular string or integer field. Linear in the path: the
 * prefix an error names is cut once, when the error is reported.
 */
export function resolveFieldPath(message: DescMessage, path: string, what = "binding field"): FieldPathResult {
  if (path === "") {
    return { ok: false, problem: `${what} is empty`, fix: `name a field of ${message.typeName}, e.g. "sandbox_id"` };
  }
  const depth = countSegments(path);
  if (depth > maxFieldPathDepth) {
    return {
      ok: false,
      problem: `${what} "${abbreviate(path)}" is ${depth} fields deep, more than the limit of ${maxFieldPathDepth}`,
      fix: `bind a field at most ${maxFieldPathDepth} fields deep`,
    };
  }
  const fields: DescField[] = [];
  let current: DescMessage | undefined = message;
  const names = path.split(".");
  // Where segment i ends in `path`: the walked prefix is path.slice(0, end).
  let end = -1;
  for (const [i, name] of names.entries()) {
    const start = end + 1;
    end = start + name.length;
    if (current === undefined) {
      const parent = path.slice(0, start - 1);
      return {
        ok: false,
        problem: `${what} "${path}" steps into "${parent}", which is not a message`,
        fix: `end the path at "${parent}"`,
      };
    }
    const field: DescField | undefined = current.fields.find((f) => f.name === name);
    if (field === undefined) {
      // `userId` for `user_id`: the name generated code uses, not the one the rule must name.
      const meant = current.fields.find((f) => f.localName === name || f.jsonName === name);
      if (meant !== undefined) {
        const corrected = `${path.slice(0, start)}${meant.name}${path.slice(end)}`;
        return {
          ok: false,
          problem: `${what} "${path}" uses the JavaScript name "${name}" of ${current.typeName} field "${meant.name}"`,
          fix: `name the proto field: "${corrected}"`,
        };
      }
      const known = current.fields.map((f) => f.name).join(", ") || "none";
      return {
        ok: false,
        problem: `${what} "${path}" does not exist: ${current.typeName} has no field "${name}"`,
        fix: `use a proto field name of ${current.typeName} (${known})`,
      };
    }
    if (field.fieldKind === "list" || field.fieldKind === "map") {
      return {
        ok: false,
        problem: `${what} "${path}" passes through ${field.fieldKind === "list" ? "repeated" : "map"} field "${path.slice(0, end)}"`,
        fix: "bind a singular field; a request naming several resources cannot be checked against one attribute",
      };
    }
    fields.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
    const last = i === names.length - 1;
    if (last && !(field.fieldKind === "scalar" && bindableScalars.has(field.scalar))) {
      const kind = field.fieldKind === "scalar" ? ScalarType[field.scalar].toLowerCase() : field.fieldKind;
      return {
        ok: false,
        problem: `${what} "${path}" is of type ${kind}, not a string or integer`,
        fix:
          field.fieldKind === "message" ? `bind a string or integer field inside it, e.g. "${path}.id"` : "bind a string or integer field",
      };
    }
  }
  return { ok: true, fields };
}

/** Segments of a dotted path, counted without splitting it. */
function countSegments(path: string): number {
  let segments = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 46 /* . */) segments++;
  return segments;
}

/** A path too long to repeat in full: its start, enough to find it. */
function abbreviate(path: string): string {
  return path.length <= 1024 ? path : `${path.slice(0, 1024)}…`;
}

/** Reads a resolved path from a message; undefined where any step is unset. */
export function readFieldPath(fields: readonly DescField[]): (message: unknown) => unknown {
  return (message) => {
    let value: unknown = message;
    for (const field of fields) {
      if (value === null || typeof value !== "object") return undefined;
      const record = value as Record<string, unknown>;
      if (field.oneof !== undefined) {
        const group = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
        value = group?.case === field.localName ? group.value : undefined;
      } else {
        value = record[field.localName];
      }
    }
    return value;
  };
}
