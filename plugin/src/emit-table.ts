import type { DescFile, DescMethod } from "@bufbuild/protobuf";
import type { Schema } from "@bufbuild/protoplugin";
import { type Requirements, resolveFieldPath } from "protoauthz";
import type { MethodModel, ServiceModel } from "./collect.js";
import { emitAccessor } from "./emit-accessor.js";
import { methodType, rulesTypeSymbols } from "./emit-rules-type.js";
import { jsDoc, propertyKey, stringLiteral } from "./escape.js";

const sourceText: Record<MethodModel["source"], string> = {
  method: "declared on the RPC",
  service_default: "the service's default_rule",
  code: "declared in code",
  undeclared: "NOT DECLARED: generated as deny (undeclared=deny)",
};

/** Migration mode says what it is on the entry itself. */
const auditText =
  "NOT DECLARED: generated as audit, NOT protected: anyone may call; callers are authenticated and audited (undeclared=audit)";

/** The name of a service's table constant, e.g. `SandboxServiceAuthz`. */
export function tableName(service: ServiceModel["service"]): string {
  return `${service.name}Authz`;
}

/** The name of a table's rules type, e.g. `SandboxServiceRules`. */
export function rulesTypeName(service: ServiceModel["service"]): string {
  return `${service.name}Rules`;
}

/** Module path (without extension) of a file's table module. */
export function tableModule(file: DescFile): string {
  return `${file.name}_authz`;
}

/**
 * Emits `<name>_authz.ts`: per service of the file, its rules type and its
 * table (the header comes from plugin.ts, above protoplugin's imports). The
 * table's type is written out, so declaration files keep it and the module
 * passes `isolatedDeclarations`; the literal is checked against the service
 * (`satisfies`) and against that type (the annotation).
 */
export function emitTables(schema: Schema, file: DescFile, services: readonly ServiceModel[]): void {
  const f = schema.generateFile(`${tableModule(file)}.ts`);
  const defineServiceAuthz = f.import("defineServiceAuthz", "protoauthz");
  const ServiceAuthz = f.import("ServiceAuthz", "protoauthz", true);
  const ServiceRules = f.import("ServiceRules", "protoauthz", true);
  for (const { service, methods } of services) {
    const descriptor = f.importSchema(service);
    const symbols = rulesTypeSymbols(f, descriptor);
    f.print(jsDoc(`The rules of ${tableName(service)}, one member per RPC of ${service.typeName}.`));
    f.print(f.export("type", rulesTypeName(service)), " = {");
    for (const model of methods) f.print(...methodType(model, symbols));
    f.print("};");
    f.print();
    f.print(jsDoc(`Who may call each RPC of ${service.typeName}.\n\n@generated from service ${service.typeName}`));
    f.print(
      f.export("const", tableName(service)),
      ": ",
      ServiceAuthz,
      "<typeof ",
      descriptor,
      ", ",
      rulesTypeName(service),
      "> = ",
      defineServiceAuthz,
      "(",
      descriptor,
      ", {",
    );
    // One print per method, text joined up front: printing is the plugin's
    // main cost on large inputs, and it grows with the number of pieces.
    for (const model of methods) f.print(methodEntry(model));
    f.print("} as const satisfies ", ServiceRules, "<typeof ", descriptor, ">);");
    f.print();
  }
}

/**
 * A method's entry as text. Accessors take their parameter type from the
 * `satisfies ServiceRules<…>` context (the method's request message), so the
 * compiler checks each one against its method without an import per type.
 */
function methodEntry(model: MethodModel): string {
  const { rule, source, method } = model;
  const head = [
    `${jsDoc(`${method.name}: ${rule.access === "audit" ? auditText : sourceText[source]} (${model.location})`, "  ")}\n`,
    `  ${propertyKey(method.localName)}: {\n`,
    `    access: ${stringLiteral(rule.access)},\n`,
    `    source: ${stringLiteral(source)},\n`,
  ].join("");
  switch (rule.access) {
    case "public":
    case "deny":
    case "audit":
      return `${head}    reason: ${stringLiteral(rule.reason)},\n  },`;
    case "authenticated":
      return `${head}${requirements(rule, method, "    ")}  },`;
    case "any_of": {
      const alternatives = rule.alternatives.map((a) => `      {\n${requirements(a, method, "        ")}      },\n`);
      return `${head}    alternatives: [\n${alternatives.join("")}    ],\n  },`;
    }
  }
}

/** The properties of an authenticated rule or of one alternative, one per line. */
function requirements(rule: Requirements<unknown>, method: DescMethod, indent: string): string {
  const lines = [
    `${indent}principals: ${literalList(rule.principals)},\n`,
    `${indent}scopes: ${literalList(rule.scopes)},\n`,
    `${indent}roles: ${literalList(rule.roles)},\n`,
  ];
  const bindings = (rule.bindings ?? []).map(
    ({ field, attribute }) =>
      `{ field: ${stringLiteral(field)}, attribute: ${stringLiteral(attribute)}, read: ${read(method, field, `${indent}  `)} }`,
  );
  lines.push(`${indent}bindings: ${block(bindings, indent)},\n`);
  // Relations are new; a rule without any keeps the shape it always had.
  const relations = (rule.relations ?? []).map(
    ({ resourceType, idField, permission }) =>
      `{ resourceType: ${stringLiteral(resourceType)}, idField: ${stringLiteral(idField)}, permission: ${stringLiteral(permission)}, read: ${read(method, idField, `${indent}  `)} }`,
  );
  if (relations.length > 0) lines.push(`${indent}relations: ${block(relations, indent)},\n`);
  // Present exactly where the rule has conditions, so tables without them stay as they were.
  if ((rule.conditions ?? []).length > 0)
    lines.push(`${indent}conditions: ${block((rule.conditions ?? []).map(stringLiteral), indent)},\n`);
  return lines.join("");
}

/** `[]`, or one element per line. */
function block(elements: readonly string[], indent: string): string {
  if (elements.length === 0) return "[]";
  return `[\n${elements.map((e) => `${indent}  ${e},\n`).join("")}${indent}]`;
}

/** The typed accessor of a request path; `indent` is that of the line it starts on. */
function read(method: DescMethod, path: string, indent: string): string {
  const resolved = resolveFieldPath(method.input, path);
  // Unreachable otherwise: generation stops on paths that do not resolve.
  return resolved.ok ? emitAccessor(resolved.fields, indent) : "() => undefined";
}

function literalList(values: readonly string[] | undefined): string {
  return `[${(values ?? []).map(stringLiteral).join(", ")}]`;
}
