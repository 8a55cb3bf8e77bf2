import { dirname } from "node:path";
import { create, type DescFile } from "@bufbuild/protobuf";
import { type CodeGeneratorRequest, CodeGeneratorResponseSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin, type Plugin, type Schema } from "@bufbuild/protoplugin";
import { collect, formatProblem, type ServiceModel } from "./collect.js";
import { emitRegistry } from "./emit-registry.js";
import { emitTables, tableModule } from "./emit-table.js";
import { printable } from "./escape.js";
import { generatedHeader } from "./header.js";
import { emitManifest } from "./manifest.js";
import { type AuthzOptions, checkParameter, parseOptions } from "./options.js";
import { emitReport } from "./report-emit.js";
import { checkSiblingRuns } from "./sibling-runs.js";
import { checkStrategy } from "./strategy.js";
import { version } from "./version.js";

/**
 * Each generated module's header, by path without extension. protoplugin
 * prints imports first and its own preamble shows paths unescaped, so run()
 * prepends these instead.
 */
const headers = new Map<string, string>();

/** Carries every problem of a request out of generate, into the response. */
class GenerationFailed extends Error {
  override name = "GenerationFailed";
}

/** Set by the executable: look for sibling runs of the same buf process. */
let detectSiblingRuns = false;

/**
 * A fresh protoplugin plugin: one keeps whether it once transpiled (a
 * target=js or dts run) and then transpiles every later run in the same
 * process, so each run gets its own.
 */
const createEsPlugin = () =>
  createEcmaScriptPlugin({
    name: "protoc-gen-authz",
    version: `v${version}`,
    parseOptions,
    generateTs(schema: Schema<AuthzOptions>) {
      const { options } = schema;
      const vocabulary = {
        ...(options.principals && { principals: options.principals }),
        ...(options.roles && { roles: options.roles }),
        ...(options.scopes && { scopes: options.scopes }),
        ...(options.resources && { resources: options.resources }),
        ...(options.permissions && { permissions: options.permissions }),
      };
      const collected = collect(schema.files, vocabulary, options.undeclared);
      const problems = collected.problems.map(formatProblem);
      if (options.registry !== "" && collected.services.length > 0) {
        problems.push(...checkStrategy(schema));
        if (detectSiblingRuns) {
          const directories = [...new Set(schema.files.map((f) => dirname(f.proto.name)))].sort();
          problems.push(...checkSiblingRuns(directories, schema.proto.parameter ?? ""));
        }
      }
      if (problems.length > 0) {
        throw new GenerationFailed(`${problems.length} authorization problem${problems.length === 1 ? "" : "s"}:\n${problems.join("\n")}`);
      }
      for (const line of collected.undeclared)
        process.stderr.write(`protoc-gen-authz: ${printable(line)}: no rule, ${undeclaredNotice[options.undeclared]}\n`);
      const byFile = new Map<DescFile, ServiceModel[]>();
      for (const model of collected.services) {
        const list = byFile.get(model.service.file) ?? [];
        list.push(model);
        byFile.set(model.service.file, list);
      }
      const parameter = schema.proto.parameter ?? "";
      for (const [file, services] of byFile) {
        headers.set(tableModule(file), generatedHeader(parameter, file));
        emitTables(schema, file, services);
      }
      if (collected.services.length > 0 && options.registry !== "") {
        headers.set(options.registry, generatedHeader(parameter, registryDescription));
        emitRegistry(schema, collected.services);
      }
      if (options.report !== "") emitReport(schema, collected.services);
      if (options.manifest !== "") emitManifest(schema, collected.services);
    },
  });

/**
 * protoc-gen-authz. Problems with rules or options come back in the
 * response's error field, so buf and protoc print them and exit 1, instead of
 * a crash that buf reports only as "exit status 1".
 */
export const protocGenAuthz: Plugin & { readonly standalone: () => Plugin } = {
  /** The plugin as its executable runs it, one process per buf run. */
  standalone() {
    detectSiblingRuns = true;
    return this;
  },
  name: "protoc-gen-authz",
  version: `v${version}`,
  run(request: CodeGeneratorRequest) {
    headers.clear();
    const refused = checkParameter(request.parameter);
    if (refused !== undefined) return create(CodeGeneratorResponseSchema, { error: refused });
    try {
      const response = createEsPlugin().run(request);
      for (const file of response.file) {
        const header = headers.get(file.name.replace(/(\.d)?\.(ts|js)$/, ""));
        if (header !== undefined) file.content = header + file.content;
      }
      return response;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Problems quote input; a terminal must show it, not obey it.
      return create(CodeGeneratorResponseSchema, { error: message.split("\n").map(printable).join("\n") });
    }
  },
};

/** What stderr says about each RPC without a rule. */
const undeclaredNotice: Record<AuthzOptions["undeclared"], string> = {
  error: "",
  deny: "generated as deny (undeclared=deny)",
  audit: "generated as audit: NOT protected, anyone may call; callers are authenticated and audited (undeclared=audit)",
};

const registryDescription = "registry: every service table of this generation, and a guard bound to them all";
