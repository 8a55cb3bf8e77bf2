import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, Printable, Schema } from "@bufbuild/protoplugin";
import type { Rule } from "protoauthz/tool";
import { type RuleProperty, renderType, renderValue, ruleProperties, typeNamesRequest } from "./emit-rule.js";
import { jsDoc, propertyKey, stringLiteral } from "./escape.js";
import { formatLocation } from "./location.js";
import type { MethodModel, ServiceModel } from "./model.js";
import { Pieces } from "./pieces.js";

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

/** One rule as both renderings write it, for a request type and a source. */
interface RenderedRule {
  readonly properties: readonly RuleProperty[];
  readonly value: string;
  /** The rules type's text, when it does not name the method's request. */
  readonly type: string | undefined;
}

/** What emitting one table module shares between its services. */
interface TableModule {
  readonly f: GeneratedFile;
  readonly defineServiceAuthz: Printable;
  readonly ServiceAuthz: Printable;
  readonly ServiceRules: Printable;
  readonly Binding: Printable;
  readonly Relation: Printable;
  readonly RequestOf: Printable;
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
  const module: TableModule = {
    f,
    defineServiceAuthz: f.import("defineServiceAuthz", "protoauthz"),
    ServiceAuthz: f.import("ServiceAuthz", "protoauthz", true),
    ServiceRules: f.import("ServiceRules", "protoauthz", true),
    Binding: f.import("Binding", "protoauthz", true),
    Relation: f.import("Relation", "protoauthz", true),
    RequestOf: f.import("RequestOf", "protoauthz", true),
    rendered: new Map(),
  };
  for (const { service, methods } of services) {
    const descriptor = f.importSchema(service);
    emitRulesType(module, service, descriptor, methods);
    emitTable(module, service, descriptor, methods);
  }
}

/** `export type <Service>Rules = { … }`: the literals principalOf narrows on, and accessors typed by each request. */
function emitRulesType(module: TableModule, service: DescService, descriptor: Printable, methods: readonly MethodModel[]): void {
  const { f } = module;
  f.print(jsDoc(`The rules of ${tableName(service)}, one member per RPC of ${service.typeName}.`));
  // One print for the whole type, its text joined between symbols.
  const pieces = new Pieces().add(f.export("type", rulesTypeName(service)), " = {\n");
  for (const model of methods) {
    const rendered = render(module, model);
    pieces.add(`  readonly ${propertyKey(model.method.localName)}: {\n`);
    if (rendered.type !== undefined) pieces.add(rendered.type);
    else {
      const request = [module.RequestOf, "<typeof ", descriptor, ", ", stringLiteral(model.method.localName), ">"];
      renderType(rendered.properties, { Binding: module.Binding, Relation: module.Relation, request }, pieces);
    }
    pieces.add("  };\n");
  }
  f.print(...pieces.add("};\n").done());
}

/**
 * `export const <Service>Authz = defineServiceAuthz(…)`. Accessors take their
 * parameter type from the `satisfies ServiceRules<…>` context (the method's
 * request message), so the compiler checks each one against its method
 * without an import per type.
 */
function emitTable(module: TableModule, service: DescService, descriptor: Printable, methods: readonly MethodModel[]): void {
  const { f, ServiceAuthz, ServiceRules, defineServiceAuthz } = module;
  f.print(jsDoc(`Who may call each RPC of ${service.typeName}.\n\n@generated from service ${service.typeName}`));
  f.print`${f.export("const", tableName(service))}: ${ServiceAuthz}<typeof ${descriptor}, ${rulesTypeName(service)}> = ${defineServiceAuthz}(${descriptor}, {`;
  const entries: string[] = [];
  for (const model of methods) {
    const { rule, source, method, location } = model;
    const says = rule.access === "audit" ? auditText : sourceText[source];
    entries.push(jsDoc(`${method.name}: ${says} (${formatLocation(location)})`, "  "), "\n");
    entries.push("  ", propertyKey(method.localName), ": {\n", render(module, model).value, "  },\n");
  }
  f.print`${entries.join("")}} as const satisfies ${ServiceRules}<typeof ${descriptor}>);`;
  f.print();
}

function render(module: TableModule, { rule, source, method }: MethodModel): RenderedRule {
  let byRequest = module.rendered.get(rule);
  if (byRequest === undefined) module.rendered.set(rule, (byRequest = new Map()));
  let bySource = byRequest.get(method.input);
  if (bySource === undefined) byRequest.set(method.input, (bySource = new Map()));
  let rendered = bySource.get(source);
  if (rendered === undefined) {
    const properties = ruleProperties(rule, source, method);
    const namesRequest = typeNamesRequest(properties);
    const type = new Pieces();
    if (!namesRequest) renderType(properties, { Binding: "", Relation: "", request: "" }, type);
    rendered = { properties, value: renderValue(properties), type: namesRequest ? undefined : type.done().join("") };
    bySource.set(source, rendered);
  }
  return rendered;
}
