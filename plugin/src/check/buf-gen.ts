import { readFileSync } from "node:fs";
import type { DescFile } from "@bufbuild/protobuf";
import type { Vocabulary } from "protoauthz/tool";
import { isMap, isSeq, LineCounter, parseDocument, type YAMLMap } from "yaml";
import { type AuthzOptions, parseOptions } from "../options.js";
import type { Problem } from "../problem.js";
import { InputError } from "./image.js";
import { authzEntries, type PluginEntry } from "./plugin-entries.js";

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

/** What the protoc-gen-authz entry hands buf's image filter: exactly its keys, as buf reads them. */
export interface TypeFilter {
  readonly types: readonly string[];
  readonly excludeTypes: readonly string[];
  readonly includeImports: boolean;
  readonly includeWkt: boolean;
}

/** What buf generate would run with, as far as `check` needs it. */
export interface GenerationConfig {
  /** The buf.gen.yaml as shown to the user, and the line of the protoc-gen-authz entry that ships. */
  readonly file: string;
  readonly line: number;
  readonly options: AuthzOptions;
  readonly vocabulary: Vocabulary;
  readonly filter: TypeFilter;
  /** Whether buf hands the plugin another image than the input: types, exclude_types or include_imports are set. */
  readonly filters: boolean;
  /** The line of an option (`undeclared`, `principals`, …) or entry key (`exclude_types`), else of the entry. */
  lineOf(key: string): number;
  /** Problems of the layout itself: files generated twice or imports that resolve nowhere. */
  layoutProblems(files: readonly DescFile[]): Problem[];
}

/**
 * Reads the protoc-gen-authz entries of a buf.gen.yaml and parses their `opt`
 * with the plugin's own option parser, so `check` judges exactly what
 * `buf generate` generates (vocabulary, undeclared=, type filters).
 * `entryOut` names the entry that ships by its `out:` when several disagree.
 */
export function readGenerationConfig(path: string, shownAs: string = path, entryOut?: string): GenerationConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError(`${shownAs}: cannot read (pass --buf-gen-yaml with the template buf generate uses)`);
  }
  return parseGenerationConfig(text, shownAs, entryOut);
}

/** The same, from the text of a buf.gen.yaml (e.g. as a git revision has it). */
export function parseGenerationConfig(text: string, shownAs: string, entryOut?: string): GenerationConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  if (document.errors.length > 0) throw new InputError(`${shownAs}: not valid YAML (${document.errors[0]?.message.split("\n")[0]})`);
  const root = document.contents;
  const entries = authzEntries(root, lines, shownAs).map((entry) => readEntry(entry, lines, shownAs));
  if (entries.length === 0) {
    throw new InputError(
      `${shownAs}: has no protoc-gen-authz plugin (add it under plugins:, or pass --buf-gen-yaml with the template that has it)`,
    );
  }
  refuseInputFilters(root, lines, shownAs);
  const chosen = chooseEntry(entries, shownAs, entryOut);
  const plugins = isMap(root) ? root.get("plugins", true) : undefined;
  const named = (name: string) =>
    (isSeq(plugins) ? plugins.items.filter(isMap) : []).find((e) => JSON.stringify([e.get("local"), e.get("remote")]).includes(name));
  const es = named("protoc-gen-es") ?? named("bufbuild/es");
  const authz = chosen.node;
  const hasInputs = isMap(root) && root.has("inputs");
  const lineOfNode = (node: YAMLMap) => lines.linePos(node.range?.[0] ?? 0).line;
  return {
    ...chosen,
    file: shownAs,
    layoutProblems(files) {
      const problems: Problem[] = [];
      const at = (node: YAMLMap, element: string, message: string) =>
        problems.push({ file: shownAs, line: lineOfNode(node), column: 5, element, message });
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

type Entry = Omit<GenerationConfig, "file" | "layoutProblems"> & { readonly node: YAMLMap; readonly out: string };

/** One protoc-gen-authz entry, parsed; an option the plugin would refuse is an input error at its line. */
function readEntry(entry: PluginEntry, lines: LineCounter, shownAs: string): Entry {
  const { node, line, out } = entry;
  let options: AuthzOptions;
  try {
    options = parseOptions(optionsOf(node).filter((o) => !standardOptions.has(o.key)));
  } catch (error) {
    throw new InputError(
      `${shownAs}:${line}: protoc-gen-authz ${(error as Error).message
        .split("\n")
        .map((l) => l.trim())
        .join(" ")}`,
    );
  }
  const vocabulary: Vocabulary = {
    ...(options.principals && { principals: options.principals }),
    ...(options.roles && { roles: options.roles }),
    ...(options.scopes && { scopes: options.scopes }),
    ...(options.resources && { resources: options.resources }),
    ...(options.permissions && { permissions: options.permissions }),
  };
  const json = node.toJSON() as Record<string, unknown>;
  const strings = (key: string) => ([] as unknown[]).concat(json[key] ?? []).map(String);
  const filter: TypeFilter = {
    types: strings("types"),
    excludeTypes: strings("exclude_types"),
    includeImports: json.include_imports === true,
    includeWkt: json.include_wkt === true,
  };
  const lineOf = (key: string) => {
    const keyed = node.items.find((p) => String((p.key as { value?: unknown })?.value) === key);
    if (keyed !== undefined) return lines.linePos((keyed.key as { range?: [number] }).range?.[0] ?? 0).line;
    const opt = node.get("opt", true);
    const items = isSeq(opt) ? opt.items : opt === undefined ? [] : [opt];
    const holder = items.find((i) => new RegExp(`(^|,)\\s*${key}=`).test(String((i as { value?: unknown }).value ?? "")));
    const range = (holder as { range?: [number] } | undefined)?.range;
    return range === undefined ? line : lines.linePos(range[0]).line;
  };
  const filters = filter.types.length > 0 || filter.excludeTypes.length > 0 || filter.includeImports;
  return { node, out, line, options, vocabulary, filter, filters, lineOf };
}

/** What changes the tables generated: two entries that agree on it generate the same tables. */
function shipped(entry: Entry): string {
  const { undeclared, principals, roles, scopes, resources, permissions } = entry.options;
  return JSON.stringify({ undeclared, principals, roles, scopes, resources, permissions, ...entry.filter });
}

/**
 * The entry that ships. Entries that generate the same tables are one; entries
 * that differ need the user to say which one the app imports (by its out:).
 */
function chooseEntry(entries: readonly Entry[], shownAs: string, entryOut: string | undefined): Entry {
  const candidates = entryOut === undefined ? entries : entries.filter((e) => e.out === entryOut);
  const [first] = candidates;
  if (first === undefined) {
    throw new InputError(
      `--plugin-entry ${entryOut}: no protoc-gen-authz entry of ${shownAs} has out: ${entryOut} (its entries write to ${entries.map((e) => `${e.out} (line ${e.line})`).join(", ")})`,
    );
  }
  const other = candidates.find((e) => shipped(e) !== shipped(first));
  if (other === undefined) return first;
  const differs = describeDifference(first, other);
  throw new InputError(
    `${shownAs}:${first.line} and ${shownAs}:${other.line}: two protoc-gen-authz entries generate different tables (${differs}), and check cannot tell which one the app imports (make them agree, or pass --plugin-entry <out> naming the out: of the entry that ships)`,
  );
}

function describeDifference(a: Entry, b: Entry): string {
  const left = JSON.parse(shipped(a)) as Record<string, unknown>;
  const right = JSON.parse(shipped(b)) as Record<string, unknown>;
  const keys = Object.keys({ ...left, ...right }).filter((k) => JSON.stringify(left[k]) !== JSON.stringify(right[k]));
  const show = (v: unknown) => (v === undefined ? "unset" : Array.isArray(v) ? v.join("|") || "none" : String(v));
  return keys.map((k) => `${k}: ${show(left[k])} on line ${a.line}, ${show(right[k])} on line ${b.line}`).join("; ");
}

/**
 * Type filters on inputs: are applied before the plugin's own, as a second
 * pass of buf's filter, which check does not run: refused rather than guessed.
 */
function refuseInputFilters(root: unknown, lines: LineCounter, shownAs: string): void {
  const inputs = isMap(root) ? root.get("inputs", true) : undefined;
  for (const input of isSeq(inputs) ? inputs.items.filter(isMap) : []) {
    for (const key of ["types", "exclude_types"]) {
      if (!input.has(key)) continue;
      const line = lines.linePos(input.range?.[0] ?? 0).line;
      throw new InputError(
        `${shownAs}:${line}: ${key} on an input: check cannot model buf's input-level type filter (move ${key} to the protoc-gen-authz plugin entry, where check applies it as buf does)`,
      );
    }
  }
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
