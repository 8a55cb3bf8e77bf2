import type { DescFile } from "@bufbuild/protobuf";
import type { Schema } from "@bufbuild/protoplugin";
import { resolveFieldPath } from "protoauthz";
import type { MethodModel, ServiceModel } from "./collect.js";
import { emitAccessor } from "./emit-accessor.js";

const sourceText: Record<MethodModel["source"], string> = {
  method: "declared on the RPC",
  service_default: "the service's default_rule",
  code: "declared in code",
  undeclared: "NOT DECLARED: generated as deny (undeclared=deny)",
};

/** The name of a service's table constant, e.g. `SandboxServiceAuthz`. */
export function tableName(service: ServiceModel["service"]): string {
  return `${service.name}Authz`;
}

/** Module path (without extension) of a file's table module. */
export function tableModule(file: DescFile): string {
  return `${file.name}_authz`;
}

/** Emits `<name>_authz.ts`: one typed table per service of the file. */
export function emitTables(schema: Schema, file: DescFile, services: readonly ServiceModel[]): void {
  const f = schema.generateFile(`${tableModule(file)}.ts`);
  f.preamble(file);
  const defineServiceAuthz = f.import("defineServiceAuthz", "protoauthz");
  const ServiceRules = f.import("ServiceRules", "protoauthz", true);
  for (const { service, methods } of services) {
    const descriptor = f.importSchema(service);
    f.print(f.jsDoc(`Who may call each RPC of ${service.typeName}.\n\n@generated from service ${service.typeName}`));
    f.print(f.export("const", tableName(service)), " = ", defineServiceAuthz, "(", descriptor, ", {");
    // One print per method, text joined up front: printing is the plugin's
    // main cost on large inputs, and it grows with the number of pieces.
    for (const model of methods) f.print(methodEntry(model));
    f.print("} as const satisfies ", ServiceRules, "<typeof ", descriptor, ">);");
    f.print();
  }
}

/**
 * A method's entry as text. Binding accessors take their parameter type from
 * the `satisfies ServiceRules<…>` context (the method's request message), so
 * the compiler checks each one against its method without an import per type.
 */
function methodEntry(model: MethodModel): string {
  const { rule, source, method } = model;
  const head = [
    `  /**\n   * ${method.name}: ${sourceText[source]} (${model.location})\n   */\n`,
    `  ${method.localName}: {\n`,
    `    access: ${JSON.stringify(rule.access)},\n`,
    `    source: ${JSON.stringify(source)},\n`,
  ].join("");
  if (rule.access === "public" || rule.access === "deny") return `${head}    reason: ${JSON.stringify(rule.reason)},\n  },`;
  // any_of is refused when rules are read, until the emitter supports it.
  if (rule.access !== "authenticated") throw new Error(`unsupported access ${rule.access}`);
  const lists = [
    `    principals: ${literalList(rule.principals)},\n`,
    `    scopes: ${literalList(rule.scopes)},\n`,
    `    roles: ${literalList(rule.roles)},\n`,
  ].join("");
  const bindings = rule.bindings ?? [];
  if (bindings.length === 0) return `${head}${lists}    bindings: [],\n  },`;
  const lines = bindings.map(({ field, attribute }) => {
    const resolved = resolveFieldPath(method.input, field);
    // Unreachable otherwise: generation stops on invalid bindings.
    const read = resolved.ok ? emitAccessor(resolved.fields, "      ") : "() => undefined";
    return `      { field: ${JSON.stringify(field)}, attribute: ${JSON.stringify(attribute)}, read: ${read} },\n`;
  });
  return `${head}${lists}    bindings: [\n${lines.join("")}    ],\n  },`;
}

function literalList(values: readonly string[] | undefined): string {
  return `[${(values ?? []).map((v) => JSON.stringify(v)).join(", ")}]`;
}
