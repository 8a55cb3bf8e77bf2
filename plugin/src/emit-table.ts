import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, ImportSymbol, Schema } from "@bufbuild/protoplugin";
import type { Rule } from "protoauthz/tool";
import { renderType, renderValue, ruleProperties, type TypePart } from "./emit-rule.js";
import { commentText, jsDoc, propertyKey, stringLiteral } from "./escape.js";
import { formatLocation } from "./location.js";
import type { MethodModel, ServiceModel } from "./model.js";
import { ModuleText } from "./module-text.js";

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
export function tableName(service: DescService): string {
  return `${service.name}Authz`;
}

/** The name of a table's rules type, e.g. `SandboxServiceRules`. */
export function rulesTypeName(service: DescService): string {
  return `${service.name}Rules`;
}

/** Module path (without extension) of a file's table module. */
export function tableModule(file: DescFile): string {
  return `${file.name}_authz`;
}

/** One rule as both renderings write it, for a request type and a source, from after the key on. */
interface RenderedRule {
  /** The table entry: `: {`, its properties, `},`. */
  readonly entry: string;
  /** The rules type member, with the request-typed lists left for each method. */
  readonly member: readonly TypePart[];
  /** What the entry's doc comment says of it, between the RPC's name and its location. */
  readonly says: string;
}

/** What emitting one table module shares between its services. */
interface TableModule {
  readonly f: GeneratedFile;
  readonly text: ModuleText;
  readonly defineServiceAuthz: ImportSymbol;
  readonly ServiceAuthz: ImportSymbol;
  readonly ServiceRules: ImportSymbol;
  readonly Binding: ImportSymbol;
  readonly Relation: ImportSymbol;
  readonly RequestOf: ImportSymbol;
  /**
   * Rules render the same for every RPC with the same rule object (shared
   * between RPCs that declare the same bytes, and by a service default),
   * source and request type: rendered once.
   */
  readonly rendered: Map<Rule<unknown>, Map<DescMessage, Map<MethodModel["source"], RenderedRule>>>;
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
  const imported = {
    defineServiceAuthz: f.import("defineServiceAuthz", "protoauthz"),
    ServiceAuthz: f.import("ServiceAuthz", "protoauthz", true),
    ServiceRules: f.import("ServiceRules", "protoauthz", true),
    Binding: f.import("Binding", "protoauthz", true),
    Relation: f.import("Relation", "protoauthz", true),
    RequestOf: f.import("RequestOf", "protoauthz", true),
  };
  const descriptors = services.map(({ service }) => f.importSchema(service));
  const names = [
    ...Object.values(imported).map((s) => s.name),
    ...descriptors.map((s) => s.name),
    ...services.flatMap(({ service }) => [tableName(service), rulesTypeName(service)]),
  ];
  const module: TableModule = { f, text: new ModuleText(ModuleText.canWriteNames(names)), ...imported, rendered: new Map() };
  for (const [index, { service, methods }] of services.entries()) {
    const descriptor = descriptors[index] as ImportSymbol;
    if (index > 0) module.text.add("\n");
    emitRulesType(module, service, descriptor, methods);
    emitTable(module, service, descriptor, methods);
  }
  module.text.printTo(f); // and a blank line
}

/**
 * `export type <Service>Rules = { … }`: the literals principalOf narrows on,
 * and accessors typed by each request.
 */
function emitRulesType(module: TableModule, service: DescService, descriptor: ImportSymbol, methods: readonly MethodModel[]): void {
  const { f, text, RequestOf } = module;
  text.add(jsDoc(`The rules of ${tableName(service)}, one member per RPC of ${service.typeName}.`)).add("\n");
  text.element(f.export("type", rulesTypeName(service))).add(" = {\n");
  // Indexed loops over RPCs: iterators allocate in a run too short to be optimized.
  for (let m = 0; m < methods.length; m++) {
    const model = methods[m] as MethodModel;
    const { localName } = model.method;
    text.add("  readonly ").add(propertyKey(localName));
    const { member } = render(module, model);
    for (let p = 0; p < member.length; p++) {
      const part = member[p] as TypePart;
      if (typeof part === "string") text.add(part);
      else {
        text.symbol(module[part.listOf]).add("<").symbol(RequestOf).add("<typeof ").symbol(descriptor);
        text.add(", ").add(stringLiteral(localName)).add(">>");
      }
    }
  }
  text.add("};\n\n");
}

/**
 * `export const <Service>Authz = defineServiceAuthz(…)`. Accessors take their
 * parameter type from the `satisfies ServiceRules<…>` context (the method's
 * request message), so the compiler checks each one against its method
 * without an import per type.
 */
function emitTable(module: TableModule, service: DescService, descriptor: ImportSymbol, methods: readonly MethodModel[]): void {
  const { f, text } = module;
  text.add(jsDoc(`Who may call each RPC of ${service.typeName}.\n\n@generated from service ${service.typeName}`)).add("\n");
  text
    .element(f.export("const", tableName(service)))
    .add(": ")
    .symbol(module.ServiceAuthz)
    .add("<typeof ")
    .symbol(descriptor);
  text
    .add(`, ${rulesTypeName(service)}> = `)
    .symbol(module.defineServiceAuthz)
    .add("(")
    .symbol(descriptor)
    .add(", {\n");
  for (let m = 0; m < methods.length; m++) {
    const model = methods[m] as MethodModel;
    const { method, location } = model;
    const { entry, says } = render(module, model);
    // The doc comment piece by piece: a template per RPC would allocate and then be copied again.
    text
      .add("  /**\n   * ")
      .add(commentText(method.name))
      .add(says)
      .add(commentText(formatLocation(location)));
    text.add(")\n   */\n  ").add(propertyKey(method.localName)).add(entry);
  }
  text.add("} as const satisfies ").symbol(module.ServiceRules).add("<typeof ").symbol(descriptor).add(">);\n");
}

/** Appends a part, joining it to the previous one when both are text. */
function joinText(parts: TypePart[], part: TypePart): TypePart[] {
  const last = parts.at(-1);
  if (typeof part === "string" && typeof last === "string") parts[parts.length - 1] = [last, part].join("");
  else parts.push(part);
  return parts;
}

function render(module: TableModule, { rule, source, method }: MethodModel): RenderedRule {
  let byRequest = module.rendered.get(rule);
  if (byRequest === undefined) module.rendered.set(rule, (byRequest = new Map()));
  let bySource = byRequest.get(method.input);
  if (bySource === undefined) byRequest.set(method.input, (bySource = new Map()));
  let rendered = bySource.get(source);
  if (rendered === undefined) {
    const properties = ruleProperties(rule, source, method);
    const member = renderType(properties);
    rendered = {
      entry: [": {\n", renderValue(properties), "  },\n"].join(""),
      member: [": {\n", ...member, "  };\n"].reduce<TypePart[]>(joinText, []),
      says: `: ${rule.access === "audit" ? auditText : sourceText[source]} (`,
    };
    bySource.set(source, rendered);
  }
  return rendered;
}
