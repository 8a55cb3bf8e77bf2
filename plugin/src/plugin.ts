import { dirname } from "node:path";
import { create, type DescFile } from "@bufbuild/protobuf";
import { type CodeGeneratorRequest, type CodeGeneratorResponse, CodeGeneratorResponseSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin, type FileInfo, type GeneratedFile, type Plugin, type Schema } from "@bufbuild/protoplugin";
import { type Collected, collect } from "./collect.js";
import { emitRegistry } from "./emit-registry.js";
import { emitTables, tableModule, tablesRun } from "./emit-table.js";
import { printable } from "./escape.js";
import { generatedHeader } from "./header.js";
import { formatLocation } from "./location.js";
import { emitManifest } from "./manifest.js";
import { elementName, type ServiceModel } from "./model.js";
import { type AuthzOptions, checkParameter, parseOptions } from "./options.js";
import { formatProblem } from "./problem.js";
import { emitReport } from "./report-emit.js";
import { checkSiblingRuns } from "./sibling-runs.js";
import { checkStrategy } from "./strategy.js";
import { version } from "./version.js";

/** What one run of the plugin keeps between generating and answering. */
interface Run {
  /** Look for sibling runs of the same buf process (the executable only). */
  readonly detectSiblingRuns: boolean;
  /**
   * Each generated module's header, by output file name. protoplugin prints
   * imports first and its own preamble shows paths unescaped, so the run
   * prepends these to protoplugin's output instead.
   */
  readonly headers: Map<string, string>;
}

/** What protoplugin's generated files are to it (its type is not exported). */
type GeneratedFileController = GeneratedFile & { getFileInfo(): FileInfo };

/** Carries every problem of a request out of generate, into the response. */
class GenerationFailed extends Error {
  override name = "GenerationFailed";
}

/** protoc-gen-authz, as a protoplugin plugin; `detectSiblingRuns` is for the executable. */
function createPlugin(detectSiblingRuns: boolean): Plugin {
  return {
    name: "protoc-gen-authz",
    version: `v${version}`,
    run: (request) => runPlugin(request, detectSiblingRuns),
  };
}

/**
 * Problems with rules or options come back in the response's error field, so
 * buf and protoc print them and exit 1, instead of a crash that buf reports
 * only as "exit status 1".
 */
function runPlugin(request: CodeGeneratorRequest, detectSiblingRuns: boolean): CodeGeneratorResponse {
  const refused = checkParameter(request.parameter);
  if (refused !== undefined) return create(CodeGeneratorResponseSchema, { error: refused });
  const run: Run = { detectSiblingRuns, headers: new Map() };
  try {
    // A fresh protoplugin plugin per run: one keeps whether it once
    // transpiled (target=js or dts) and then transpiles every later run.
    const response = createEcmaScriptPlugin({
      name: "protoc-gen-authz",
      version: `v${version}`,
      parseOptions,
      generateTs: (schema: Schema<AuthzOptions>) => generate(schema, run),
    }).run(request);
    for (const file of response.file) file.content = (run.headers.get(file.name) ?? "") + file.content;
    return response;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Problems quote input; a terminal must show it, not obey it.
    return create(CodeGeneratorResponseSchema, { error: message.split("\n").map(printable).join("\n") });
  }
}

function generate(given: Schema<AuthzOptions>, run: Run): void {
  const schema = withContentOnce(given);
  const { options } = schema;
  const collected = collect(schema.files, vocabularyOf(options), options.undeclared);
  failOnProblems(schema, run, collected);
  noteUndeclared(options, collected.services);
  const parameter = schema.proto.parameter ?? "";
  const tables = tablesRun();
  for (const [file, services] of servicesByFile(collected.services)) {
    setHeader(run, tableModule(file), generatedHeader(parameter, file));
    emitTables(schema, file, services, tables);
  }
  if (collected.services.length > 0 && options.registry !== "") {
    setHeader(run, options.registry, generatedHeader(parameter, registryDescription));
    emitRegistry(schema, collected.services);
  }
  if (options.report !== "") emitReport(schema, collected.services);
  if (options.manifest !== "") emitManifest(schema, collected.services);
}

/**
 * For target=ts protoplugin asks every file for its content twice (once to
 * keep the TypeScript for transpiling). A file is final once generate
 * returns, so its content is built once: on large APIs each build copies
 * megabytes.
 */
function withContentOnce(schema: Schema<AuthzOptions>): Schema<AuthzOptions> {
  const generateFile = (name: string): GeneratedFile => {
    const file = schema.generateFile(name) as GeneratedFileController;
    const build = file.getFileInfo.bind(file);
    let info: FileInfo | undefined;
    file.getFileInfo = () => (info ??= build());
    return file;
  };
  return Object.assign(Object.create(schema) as Schema<AuthzOptions>, { generateFile });
}

/** Every problem of the request, the rules' and the layout's, in one error. */
function failOnProblems(schema: Schema<AuthzOptions>, run: Run, collected: Collected): void {
  const problems = collected.problems.map(formatProblem);
  if (schema.options.registry !== "" && collected.services.length > 0) {
    problems.push(...checkStrategy(schema));
    if (run.detectSiblingRuns) {
      const directories = [...new Set(schema.files.map((f) => dirname(f.proto.name)))].sort();
      problems.push(...checkSiblingRuns(directories, schema.proto.parameter ?? ""));
    }
  }
  if (problems.length > 0) {
    throw new GenerationFailed(`${problems.length} authorization problem${problems.length === 1 ? "" : "s"}:\n${problems.join("\n")}`);
  }
}

/** Lists each RPC generated without a rule (undeclared=deny|audit) on stderr. */
function noteUndeclared(options: AuthzOptions, services: readonly ServiceModel[]): void {
  if (options.undeclared === "error") return;
  for (const { service, methods } of services) {
    for (const { method, source, location } of methods) {
      if (source !== "undeclared") continue;
      const line = `${formatLocation(location)}: ${elementName(service, method)}: no rule, ${undeclaredNotice[options.undeclared]}`;
      process.stderr.write(`protoc-gen-authz: ${printable(line)}\n`);
    }
  }
}

function servicesByFile(services: readonly ServiceModel[]): Map<DescFile, ServiceModel[]> {
  const byFile = new Map<DescFile, ServiceModel[]>();
  for (const model of services) {
    const list = byFile.get(model.service.file) ?? [];
    list.push(model);
    byFile.set(model.service.file, list);
  }
  return byFile;
}

/** The header of a module, under each name protoplugin may write it as (target=ts, js, dts). */
function setHeader(run: Run, module: string, header: string): void {
  for (const extension of [".ts", ".js", ".d.ts"]) run.headers.set(`${module}${extension}`, header);
}

function vocabularyOf(options: AuthzOptions) {
  return {
    ...(options.principals && { principals: options.principals }),
    ...(options.roles && { roles: options.roles }),
    ...(options.scopes && { scopes: options.scopes }),
    ...(options.resources && { resources: options.resources }),
    ...(options.permissions && { permissions: options.permissions }),
  };
}

/** protoc-gen-authz, run in process (tests, benchmarks); `standalone()` is the executable's. */
export const protocGenAuthz: Plugin & { readonly standalone: () => Plugin } = {
  ...createPlugin(false),
  /** The plugin as its executable runs it, one process per buf run: it also detects sibling runs. */
  standalone: () => createPlugin(true),
};

/** What stderr says about each RPC without a rule. */
const undeclaredNotice: Record<Exclude<AuthzOptions["undeclared"], "error">, string> = {
  deny: "generated as deny (undeclared=deny)",
  audit: "generated as audit: NOT protected, anyone may call; callers are authenticated and audited (undeclared=audit)",
};

const registryDescription = "registry: every service table of this generation, and a guard bound to them all";
