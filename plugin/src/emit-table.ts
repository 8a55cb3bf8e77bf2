import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import type { GeneratedFile, ImportSymbol, Schema } from "@bufbuild/protoplugin";
import type { Rule } from "protoauthz/tool";
import { renderType, renderValue, ruleProperties, type TypePart } from "./emit-rule.js";
import { commentText, jsDoc, propertyKey, stringLiteral } from "./escape.js";
import { formatLocation } from "./location.js";
import type { MethodModel, ServiceModel } from "./model.js";
import { ModuleText } from "./module-text.js";
import { ServiceImports } from "./service-imports.js";

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
  readonly out: ModuleText;
  readonly defineServiceAuthz: ImportSymbol;
  readonly ServiceAuthz: ImportSymbol;
  readonly ServiceRules: ImportSymbol;
  readonly Binding: ImportSymbol;
  readonly Relation: ImportSymbol;
  readonly RequestOf: ImportSymbol;
  readonly rendered: RenderedRules;
  /** The module's proto file, and its path as comment text: written once per RPC. */
  readonly file: string;
  readonly fileText: string;
}

/**
 * Rules render the same for every RPC with the same rule object (shared
 * between RPCs that declare the same bytes, and by a service default) and
 * source, and, when the rule reads request fields (bindings, relations), the
 * same request type: each is rendered once per run, whatever its module.
 */
export class RenderedRules {
  private readonly byRule = new Map<Rule<unknown>, Map<DescMessage | undefined, Map<MethodModel["source"], RenderedRule>>>();

  get({ rule, source, method }: MethodModel): RenderedRule {
    let byRequest = this.byRule.get(rule);
    if (byRequest === undefined) this.byRule.set(rule, (byRequest = new Map()));
    const request = readsRequest(rule) ? method.input : undefined;
    let bySource = byRequest.get(request);
    if (bySource === undefined) byRequest.set(request, (bySource = new Map()));
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
}

/** Whether rendering the rule reads its request type (accessors of bindings and relations). */
function readsRequest(rule: Rule<unknown>): boolean {
  if (rule.access === "authenticated") return readsFields(rule);
  return rule.access === "any_of" && rule.alternatives.some(readsFields);
}

function readsFields(requirements: { bindings?: readonly unknown[]; relations?: readonly unknown[] }): boolean {
  return (requirements.bindings?.length ?? 0) + (requirements.relations?.length ?? 0) > 0;
}

/**
 * Emits `<name>_authz.ts`: per service of the file, its rules type and its
 * table (the header comes from plugin.ts, above protoplugin's imports). The
 * table's type is written out, so declaration files keep it and the module
 * passes `isolatedDeclarations`; the literal is checked against the service
 * (`satisfies`) and against that type (the annotation).
 */
/** What the table modules of one run share. */
export interface TablesRun {
  readonly rendered: RenderedRules;
  readonly imports: ServiceImports;
}

export function tablesRun(): TablesRun {
  return { rendered: new RenderedRules(), imports: new ServiceImports() };
}

export function emitTables(schema: Schema, file: DescFile, services: readonly ServiceModel[], { rendered, imports }: TablesRun): void {
  const f = schema.generateFile(`${tableModule(file)}.ts`);
  const imported = {
    defineServiceAuthz: f.import("defineServiceAuthz", "protoauthz"),
    ServiceAuthz: f.import("ServiceAuthz", "protoauthz", true),
    ServiceRules: f.import("ServiceRules", "protoauthz", true),
    Binding: f.import("Binding", "protoauthz", true),
    Relation: f.import("Relation", "protoauthz", true),
    RequestOf: f.import("RequestOf", "protoauthz", true),
  };
  const descriptors = services.map(({ service }) => imports.symbol(f, service));
  const names = [
    ...Object.values(imported).map((s) => s.name),
    ...descriptors.map((s) => s.name),
    ...services.flatMap(({ service }) => [tableName(service), rulesTypeName(service)]),
  ];
  const table: TableModule = {
    f,
    out: new ModuleText(ModuleText.canWriteNames(names)),
    ...imported,
    rendered,
    file: file.proto.name,
    fileText: commentText(file.proto.name),
  };
  for (const [index, { service, methods }] of services.entries()) {
    const descriptor = descriptors[index] as ImportSymbol;
    if (index > 0) table.out.text += "\n";
    // Each RPC's key, for both its rules type member and its table entry.
    const keys = methods.map(({ method }) => propertyKey(method.localName));
    emitRulesType(table, service, descriptor, methods, keys);
    emitTable(table, service, descriptor, methods, keys);
  }
  table.out.printTo(f); // protoplugin ends the module with a newline: the blank line after the last table
}

/**
 * `export type <Service>Rules = { … }`: the literals principalOf narrows on,
 * and accessors typed by each request.
 */
function emitRulesType(
  table: TableModule,
  service: DescService,
  descriptor: ImportSymbol,
  methods: readonly MethodModel[],
  keys: readonly string[],
): void {
  const { f, out, RequestOf } = table;
  out.text += `${jsDoc(`The rules of ${tableName(service)}, one member per RPC of ${service.typeName}.`)}\n`;
  out.element(f.export("type", rulesTypeName(service)));
  out.text += " = {\n";
  // Indexed loops over RPCs: iterators allocate in a run too short to be optimized.
  for (let m = 0; m < methods.length; m++) {
    const model = methods[m] as MethodModel;
    out.text += `  readonly ${keys[m]}`;
    const { member } = table.rendered.get(model);
    let methodLiteral: string | undefined;
    for (let p = 0; p < member.length; p++) {
      const part = member[p] as TypePart;
      if (typeof part === "string") out.text += part;
      else {
        out.symbol(table[part.listOf]);
        out.text += "<";
        out.symbol(RequestOf);
        out.text += "<typeof ";
        out.symbol(descriptor);
        methodLiteral ??= stringLiteral(model.method.localName);
        out.text += `, ${methodLiteral}>>`;
      }
    }
  }
  out.text += "};\n\n";
}

/**
 * `export const <Service>Authz = defineServiceAuthz(…)`. Accessors take their
 * parameter type from the `satisfies ServiceRules<…>` context (the method's
 * request message), so the compiler checks each one against its method
 * without an import per type.
 */
function emitTable(
  table: TableModule,
  service: DescService,
  descriptor: ImportSymbol,
  methods: readonly MethodModel[],
  keys: readonly string[],
): void {
  const { f, out } = table;
  out.text += `${jsDoc(`Who may call each RPC of ${service.typeName}.\n\n@generated from service ${service.typeName}`)}\n`;
  out.element(f.export("const", tableName(service)));
  out.text += ": ";
  out.symbol(table.ServiceAuthz);
  out.text += "<typeof ";
  out.symbol(descriptor);
  out.text += `, ${rulesTypeName(service)}> = `;
  out.symbol(table.defineServiceAuthz);
  out.text += "(";
  out.symbol(descriptor);
  out.text += ", {\n";
  for (let m = 0; m < methods.length; m++) {
    const model = methods[m] as MethodModel;
    const { method, location } = model;
    const { entry, says } = table.rendered.get(model);
    const where =
      location.file === table.file && location.line !== undefined
        ? `${table.fileText}:${location.line}:${location.column ?? 1}`
        : commentText(formatLocation(location));
    out.text += `  /**\n   * ${commentText(method.name)}${says}${where})\n   */\n  ${keys[m]}${entry}`;
  }
  out.text += "} as const satisfies ";
  out.symbol(table.ServiceRules);
  out.text += "<typeof ";
  out.symbol(descriptor);
  out.text += ">);\n";
}

/** Appends a part, joining it to the previous one when both are text. */
function joinText(parts: TypePart[], part: TypePart): TypePart[] {
  const last = parts.at(-1);
  if (typeof part === "string" && typeof last === "string") parts[parts.length - 1] = [last, part].join("");
  else parts.push(part);
  return parts;
}
