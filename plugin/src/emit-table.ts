import type { DescField, DescFile, DescMethod } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable, Schema } from "@bufbuild/protoplugin";
import { resolveFieldPath } from "protoauthz";
import type { MethodModel, ServiceModel } from "./collect.js";

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
    for (const model of methods) {
      f.print(f.jsDoc(`${model.method.name}: ${sourceText[model.source]} (${model.location})`, "  "));
      f.print("  ", model.method.localName, ": {");
      printRule(f, model);
      f.print("  },");
    }
    f.print("} as const satisfies ", ServiceRules, "<typeof ", descriptor, ">);");
    f.print();
  }
}

function printRule(f: GeneratedFile, { rule, source, method }: MethodModel): void {
  const field = (name: string, value: Printable) => f.print("    ", name, ": ", value, ",");
  field("access", JSON.stringify(rule.access));
  field("source", JSON.stringify(source));
  if (rule.access !== "authenticated") {
    field("reason", JSON.stringify(rule.reason));
    return;
  }
  field("principals", literalList(rule.principals));
  field("scopes", literalList(rule.scopes));
  field("roles", literalList(rule.roles));
  const bindings = rule.bindings ?? [];
  if (bindings.length === 0) {
    field("bindings", "[]");
    return;
  }
  f.print("    bindings: [");
  for (const { field: path, attribute } of bindings) {
    const resolved = resolveFieldPath(method.input, path);
    if (!resolved.ok) continue; // unreachable: generation stops on invalid bindings
    f.print(
      "      { field: ",
      JSON.stringify(path),
      ", attribute: ",
      JSON.stringify(attribute),
      ", read: (request: ",
      requestType(f, method),
      ") => ",
      accessor(resolved.fields),
      " },",
    );
  }
  f.print("    ],");
}

function requestType(f: GeneratedFile, method: DescMethod): Printable {
  return f.importShape(method.input);
}

function literalList(values: readonly string[] | undefined): string {
  return `[${(values ?? []).map((v) => JSON.stringify(v)).join(", ")}]`;
}

/** `request.target?.sandboxId`, with oneof members read through their case. */
function accessor(fields: readonly DescField[]): string {
  let expression = "request";
  for (const [i, field] of fields.entries()) {
    const step = i === 0 ? "." : "?.";
    if (field.oneof !== undefined) {
      const group = `${expression}${step}${field.oneof.localName}`;
      expression = `(${group}.case === ${JSON.stringify(field.localName)} ? ${group}.value : undefined)`;
    } else {
      expression = `${expression}${step}${field.localName}`;
    }
  }
  return expression;
}
