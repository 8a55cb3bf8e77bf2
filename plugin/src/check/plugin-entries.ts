import { isMap, isSeq, type LineCounter, type YAMLMap } from "yaml";
import { InputError } from "./image.js";

/** One plugins: item of a buf.gen.yaml v2, with where it is written. */
export interface PluginEntry {
  readonly node: YAMLMap;
  readonly line: number;
  readonly out: string;
}

/**
 * Whether a plugins: item runs protoc-gen-authz, named the ways buf runs a
 * plugin: `local:` a program (bare name on PATH, or a path such as
 * ./node_modules/.bin/protoc-gen-authz) or a list whose items are the program
 * and its arguments ([node, path/to/protoc-gen-authz], [npx, protoc-gen-authz]);
 * `remote:` a BSR plugin whose name is authz or protoc-gen-authz.
 * `protoc_builtin:` names protoc's own generators only, never this one.
 */
export function isAuthzEntry(entry: YAMLMap): boolean {
  const local = entry.toJSON().local as unknown;
  const words = (Array.isArray(local) ? local : local === undefined ? [] : [local]).map(String);
  if (words.some((w) => /^protoc-gen-authz(\.(m?js|cmd|exe))?$/.test(w.split(/[\\/]/).pop() ?? ""))) return true;
  const remote = entry.toJSON().remote as unknown;
  if (typeof remote !== "string") return false;
  const name = remote.split(":")[0]?.split("/").pop() ?? "";
  return name === "authz" || name === "protoc-gen-authz";
}

/** Every protoc-gen-authz entry of a parsed buf.gen.yaml root, in file order. */
export function authzEntries(root: unknown, lines: LineCounter, shownAs: string): PluginEntry[] {
  if (isMap(root)) {
    const version = root.get("version");
    if (version !== "v2") {
      throw new InputError(
        `${shownAs}: version ${JSON.stringify(version ?? null)}: check reads buf.gen.yaml version v2 only (run 'buf config migrate' to convert it)`,
      );
    }
  }
  const plugins = isMap(root) ? root.get("plugins", true) : undefined;
  const entries = isSeq(plugins) ? plugins.items.filter(isMap) : [];
  return entries.filter(isAuthzEntry).map((node) => ({
    node,
    line: lines.linePos(node.range?.[0] ?? 0).line,
    out: String(node.get("out") ?? ""),
  }));
}
