import type { DescField } from "@bufbuild/protobuf";
import { isIdentifier, stringLiteral } from "./escape.js";

/**
 * The typed accessor of a resolved field path, as the text of an arrow
 * function: `(request) => request.target?.sandboxId`. Its parameter type comes
 * from the context it is written in (the `satisfies ServiceRules<…>` of the
 * table), so the compiler checks every step against the request message.
 *
 * A oneof member is read through its case, which names the group twice; each
 * group gets a `const` of its own, so the text grows by one short line per
 * oneof instead of doubling:
 *
 *   (request) => {
 *     const s1 = request.node?.kind;
 *     return (s1?.case === "leaf" ? s1.value : undefined)?.sandboxId;
 *   }
 *
 * `indent` is the indentation of the line the arrow starts on.
 */
export function emitAccessor(fields: readonly DescField[], indent = ""): string {
  const steps: string[] = [];
  let expression = "request";
  // Whether `expression` may be undefined, and whether it is a bare ternary.
  let optional = false;
  let ternary = false;
  for (const field of fields) {
    const base = ternary ? `(${expression})` : expression;
    if (field.oneof === undefined) {
      expression = base + property(field.localName, optional);
      ternary = false;
    } else {
      const group = `s${steps.length + 1}`;
      steps.push(`const ${group} = ${base}${property(field.oneof.localName, optional)};`);
      expression = `${group}${optional ? "?." : "."}case === ${stringLiteral(field.localName)} ? ${group}.value : undefined`;
      ternary = true;
    }
    optional = true;
  }
  if (steps.length === 0) return `(request) => ${expression}`;
  const body = `${indent}  `;
  return `(request) => {\n${steps.map((s) => `${body}${s}\n`).join("")}${body}return ${expression};\n${indent}}`;
}

/**
 * `.name` (or `?.name`) where the name is a plain identifier; otherwise a
 * string-literal key, since names come from descriptors a hostile request
 * controls.
 */
function property(name: string, optional: boolean): string {
  if (isIdentifier(name)) return `${optional ? "?." : "."}${name}`;
  return `${optional ? "?." : ""}[${stringLiteral(name)}]`;
}
