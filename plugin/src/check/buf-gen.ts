import { readFileSync } from "node:fs";
import type { DescFile } from "@bufbuild/protobuf";
import type { Vocabulary } from "protoauthz/tool";
import { isMap, isSeq, LineCounter, parseDocument, type YAMLMap } from "yaml";
import type { Problem } from "../collect.js";
import { type AuthzOptions, parseOptions } from "../options.js";
import { InputError } from "./image.js";

/** protoplugin's own options: protoplugin takes them before protoc-gen-authz's parser runs. */
const standardOptions = new Set([
  "target",
  "import_extension",
  "js_import_style",
  "keep_empty_files",
  "ts_nocheck",
  "rewrite_imports",
  "elide_plugin_version",
  "bootstrap_wkt",
]);

/** What buf generate would run with, as far as `check` needs it. */
export interface GenerationConfig {
  readonly options: AuthzOptions;
  readonly vocabulary: Vocabulary;
  /** Whether the plugin's `exclude_types` leaves this "pkg.Service[.Method]" out of generation. */
  excluded(element: string): boolean;
  /** Problems of the layout itself: files generated twice or imports that resolve nowhere. */
  layoutProblems(files: readonly DescFile[]): Problem[];
}

/**
 * Reads the protoc-gen-authz entry of a buf.gen.yaml and parses its `opt`
 * with the plugin's own option parser, so `check` judges exactly what
 * `buf generate` generates (vocabulary, undeclared=).
 */
export function readGenerationConfig(path: string, shownAs: string = path): GenerationConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError(`${shownAs}: cannot read (pass --buf-gen-yaml with the template buf generate uses)`);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  if (document.errors.length > 0) throw new InputError(`${shownAs}: not valid YAML (${document.errors[0]?.message.split("\n")[0]})`);
  const root = document.contents;
  const plugins = isMap(root) ? root.get("plugins", true) : undefined;
  const entries = isSeq(plugins) ? plugins.items.filter(isMap) : [];
  const named = (name: string) => entries.find((e) => JSON.stringify([e.get("local"), e.get("remote")]).includes(name));
  const authz = named("protoc-gen-authz") ?? named("/authz");
  if (authz === undefined) {
    throw new InputError(
      `${shownAs}: has no protoc-gen-authz plugin (add it under plugins:, or pass --buf-gen-yaml with the template that has it)`,
    );
  }
  const lineOf = (node: YAMLMap) => lines.linePos(node.range?.[0] ?? 0).line;
  let options: AuthzOptions;
  try {
    options = parseOptions(optionsOf(authz).filter((o) => !standardOptions.has(o.key)));
  } catch (error) {
    throw new InputError(
      `${shownAs}:${lineOf(authz)}: protoc-gen-authz ${(error as Error).message
        .split("\n")
        .map((l) => l.trim())
        .join(" ")}`,
    );
  }
  const vocabulary: Vocabulary = {
    ...(options.principals && { principals: options.principals }),
    ...(options.roles && { roles: options.roles }),
    ...(options.scopes && { scopes: options.scopes }),
  };
  const es = named("protoc-gen-es") ?? named("bufbuild/es");
  const hasInputs = isMap(root) && root.has("inputs");
  const excludeTypes = ([] as unknown[]).concat(authz.toJSON().exclude_types ?? []).map(String);
  return {
    options,
    vocabulary,
    excluded: (element) => excludeTypes.some((t) => element === t || element.startsWith(`${t}.`)),
    layoutProblems(files) {
      const problems: Problem[] = [];
      const at = (node: YAMLMap, element: string, message: string) =>
        problems.push({ file: shownAs, line: lineOf(node), column: 5, element, message });
      const schema = "protoauthz/v1/authz.proto";
      // Without inputs, buf generate writes code for every file of the workspace.
      const generatesSchema = !hasInputs && files.some((f) => f.proto.name === schema);
      const importsSchema = files.some((f) => f.proto.dependency.includes(schema));
      if (generatesSchema && es !== undefined) {
        at(
          es,
          "protoc-gen-es",
          `the buf workspace includes ${schema}, so buf generate also writes an unused copy of its code (protoauthz/v1/authz_pb.ts) (add "inputs: [{ directory: proto }]" naming only your own protos)`,
        );
      }
      const rewrites = optionsOf(es ?? authz).some((o) => o.key === "rewrite_imports" && o.value.includes("protoauthz"));
      if (importsSchema && !generatesSchema && es !== undefined && !rewrites) {
        at(
          es,
          "protoc-gen-es",
          `its output imports ./protoauthz/v1/authz_pb.js, which nothing generates (add "rewrite_imports=./protoauthz/**/*_pb.js:protoauthz" to its opt, so the import resolves to the protoauthz package)`,
        );
      }
      return problems;
    },
  };
}

/** A plugin entry's opt (a string or a list; each may hold several comma-separated options). */
function optionsOf(entry: YAMLMap): { key: string; value: string }[] {
  const opt = entry.toJSON().opt as unknown;
  const raw = (Array.isArray(opt) ? opt : opt === undefined ? [] : [opt]).map(String);
  return raw
    .flatMap((o) => o.split(","))
    .filter((o) => o !== "")
    .map((o) => {
      const eq = o.indexOf("=");
      return eq < 0 ? { key: o, value: "" } : { key: o.slice(0, eq), value: o.slice(eq + 1) };
    });
}
