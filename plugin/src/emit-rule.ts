import type { DescMethod } from "@bufbuild/protobuf";
import { type Requirements, type Rule, resolveFieldPath } from "protoauthz/tool";
import { emitAccessor } from "./emit-accessor.js";
import { stringLiteral } from "./escape.js";
import type { MethodModel } from "./model.js";

/**
 * A rule is written twice in a table module: as a member of the rules type
 * and as an entry of the table literal. One walk over the rule decides which
 * properties there are and what each holds; the two renderers below only
 * format them, so the type and the literal cannot drift apart.
 */
export type RuleProperty = ScalarProperty | ListProperty | AlternativesProperty;

interface Placed {
  readonly key: string;
  /** The indentation of the property's line; the walker knows how deep it is. */
  readonly indent: string;
}

/** A property whose type is a fixed text: access, source, reason, the name lists. */
interface ScalarProperty extends Placed {
  readonly kind: "scalar";
  readonly type: string;
  readonly value: string;
}

/** Bindings and relations: the type is a list of a protoauthz generic over the method's request. */
interface ListProperty extends Placed {
  readonly kind: "list";
  /** "Binding" or "Relation". */
  readonly of: "Binding" | "Relation";
  /** One element per line; empty is written `[]` and typed `readonly []`. */
  readonly elements: readonly string[];
}

interface AlternativesProperty extends Placed {
  readonly kind: "alternatives";
  readonly alternatives: readonly (readonly RuleProperty[])[];
}

const memberIndent = "    ";

/** The properties of a method's rule, in the order both renderings write them. */
export function ruleProperties(rule: Rule<unknown>, source: MethodModel["source"], method: DescMethod): RuleProperty[] {
  const properties: RuleProperty[] = [literal("access", rule.access, memberIndent), literal("source", source, memberIndent)];
  switch (rule.access) {
    case "public":
    case "deny":
    case "audit":
      properties.push({ kind: "scalar", key: "reason", indent: memberIndent, type: "string", value: stringLiteral(rule.reason) });
      break;
    case "authenticated":
      properties.push(...requirementProperties(rule, method, memberIndent));
      break;
    case "any_of":
      properties.push({
        kind: "alternatives",
        key: "alternatives",
        indent: memberIndent,
        alternatives: rule.alternatives.map((a) => requirementProperties(a, method, `${memberIndent}    `)),
      });
  }
  return properties;
}

/** An authenticated rule's or one alternative's properties. */
function requirementProperties(requirements: Requirements<unknown>, method: DescMethod, indent: string): RuleProperty[] {
  const properties: RuleProperty[] = [
    names("principals", requirements.principals, indent),
    names("scopes", requirements.scopes, indent),
    names("roles", requirements.roles, indent),
  ];
  const read = (path: string) => readText(method, path, `${indent}  `);
  properties.push({
    kind: "list",
    key: "bindings",
    indent,
    of: "Binding",
    elements: (requirements.bindings ?? []).map(
      ({ field, attribute }) => `{ field: ${stringLiteral(field)}, attribute: ${stringLiteral(attribute)}, read: ${read(field)} }`,
    ),
  });
  // Relations are newer; a rule without any keeps the shape it always had.
  const relations = requirements.relations ?? [];
  if (relations.length > 0) {
    properties.push({
      kind: "list",
      key: "relations",
      indent,
      of: "Relation",
      elements: relations.map(
        ({ resourceType, idField, permission }) =>
          `{ resourceType: ${stringLiteral(resourceType)}, idField: ${stringLiteral(idField)}, permission: ${stringLiteral(permission)}, read: ${read(idField)} }`,
      ),
    });
  }
  // Present exactly where the rule has conditions, so tables without them stay as they were;
  // each one a literal type, so a change to one shows in the rules type.
  const conditions = (requirements.conditions ?? []).map(stringLiteral);
  if (conditions.length > 0) {
    properties.push({
      kind: "scalar",
      key: "conditions",
      indent,
      type: `readonly [${conditions.join(", ")}]`,
      value: block(conditions, indent),
    });
  }
  return properties;
}

function literal(key: string, value: string, indent: string): ScalarProperty {
  const text = stringLiteral(value);
  return { kind: "scalar", key, indent, type: text, value: text };
}

/** A list of vocabulary names: literal types in order, so principalOf can narrow on them. */
function names(key: string, values: readonly string[] | undefined, indent: string): ScalarProperty {
  const list = (values ?? []).map(stringLiteral).join(", ");
  return { kind: "scalar", key, indent, type: `readonly [${list}]`, value: `[${list}]` };
}

/** The typed accessor of a request path; `indent` is that of the line it starts on. */
function readText(method: DescMethod, path: string, indent: string): string {
  const resolved = resolveFieldPath(method.input, path);
  // Unreachable otherwise: generation stops on paths that do not resolve.
  return resolved.ok ? emitAccessor(resolved.fields, indent) : "() => undefined";
}

/**
 * The table literal's text of the properties, one per line. Built as parts
 * and joined: the result is written once per RPC that shares the rule, and a
 * string built by `+=` would be walked piece by piece every time.
 */
export function renderValue(properties: readonly RuleProperty[]): string {
  const parts: string[] = [];
  valueParts(properties, parts);
  return parts.join("");
}

function valueParts(properties: readonly RuleProperty[], into: string[]): void {
  for (const p of properties) {
    switch (p.kind) {
      case "scalar":
        into.push(p.indent, p.key, ": ", p.value, ",\n");
        break;
      case "list":
        into.push(p.indent, p.key, ": ", p.elements.length === 0 ? "[]" : block(p.elements, p.indent), ",\n");
        break;
      case "alternatives":
        into.push(p.indent, "alternatives: [\n");
        for (const alternative of p.alternatives) {
          into.push(p.indent, "  {\n");
          valueParts(alternative, into);
          into.push(p.indent, "  },\n");
        }
        into.push(p.indent, "],\n");
    }
  }
}

/** `[`, one element per line, `]`. */
function block(elements: readonly string[], indent: string): string {
  const parts = ["[\n"];
  for (const element of elements) parts.push(indent, "  ", element, ",\n");
  parts.push(indent, "]");
  return parts.join("");
}

/**
 * A piece of a rules type: text, or a list typed by the method's request
 * (`Binding<RequestOf<typeof Service, "method">>`), the one part that differs
 * between methods with the same rule; the table module fills it in per method.
 */
export type TypePart = string | { readonly listOf: "Binding" | "Relation" };

/** The rules type's text of the properties, one member per line (joined text, like renderValue's). */
export function renderType(properties: readonly RuleProperty[]): TypePart[] {
  const parts: TypePart[] = [];
  const text: string[] = [];
  typeParts(properties, text, parts);
  if (text.length > 0) parts.push(text.join(""));
  return parts;
}

/** Appends the properties' lines to `text`, moving it to `parts` before each request-typed list. */
function typeParts(properties: readonly RuleProperty[], text: string[], parts: TypePart[]): void {
  for (const p of properties) {
    switch (p.kind) {
      case "scalar":
        text.push(p.indent, "readonly ", p.key, ": ", p.type, ";\n");
        break;
      case "list":
        // No elements is the common case: a plain empty tuple, nothing per method.
        if (p.elements.length === 0) text.push(p.indent, "readonly ", p.key, ": readonly [];\n");
        else {
          text.push(p.indent, "readonly ", p.key, ": readonly ");
          parts.push(text.splice(0).join(""), { listOf: p.of });
          text.push("[];\n");
        }
        break;
      case "alternatives":
        text.push(p.indent, "readonly alternatives: readonly [\n");
        for (const alternative of p.alternatives) {
          text.push(p.indent, "  {\n");
          typeParts(alternative, text, parts);
          text.push(p.indent, "  },\n");
        }
        text.push(p.indent, "];\n");
    }
  }
}
