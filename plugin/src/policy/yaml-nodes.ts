import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type YAMLMap } from "yaml";
import { TestFileError, type Where } from "./where.js";

/** One parsed YAML file, and how to name the place of any of its nodes. */
export interface YamlFile {
  readonly file: string;
  readonly document: Document;
  whereOf(node: unknown): Where;
  /** The 1-based column of the first non-blank character of a line. */
  indentOf(line: number): number;
}

/** Parses YAML, refusing syntax errors, duplicate keys and more than one document, each at its line. */
export function parseYamlFile(file: string, text: string): YamlFile {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const whereOf = (node: unknown): Where => {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  const error = document.errors[0];
  if (error !== undefined) {
    const pos = lines.linePos(error.pos[0]);
    throw new TestFileError({ file, line: pos.line, column: pos.col }, `not valid YAML: ${error.message.split("\n")[0]}`);
  }
  const sourceLines = text.split("\n");
  const indentOf = (line: number) => (sourceLines[line - 1]?.search(/\S/) ?? 0) + 1;
  return { file, document, whereOf, indentOf };
}

/** The pairs of a map node, refusing keys that are not plain strings and keys outside `allowed`. */
export function pairsOf(yaml: YamlFile, node: unknown, what: string, allowed?: readonly string[]): [string, Pair<unknown, unknown>][] {
  if (!isMap(node)) throw new TestFileError(yaml.whereOf(node), `${what} must be a map`);
  return (node as YAMLMap).items.map((pair) => {
    const key = pair.key;
    if (!isScalar(key) || typeof key.value !== "string") throw new TestFileError(yaml.whereOf(key), `${what}: keys must be strings`);
    if (allowed !== undefined && !allowed.includes(key.value)) {
      throw new TestFileError(yaml.whereOf(key), `${what}: unknown key "${key.value}" (valid keys: ${allowed.join(", ")})`);
    }
    return [key.value, pair];
  });
}

/** A scalar string value; `hint` says how to write it when it is something else. */
export function stringOf(yaml: YamlFile, node: unknown, what: string, hint = "write it as a string"): string {
  if (isScalar(node) && typeof node.value === "string") return node.value;
  const shown = isScalar(node) ? ` (${String(node.value)} is a ${node.value === null ? "null" : typeof node.value})` : "";
  throw new TestFileError(yaml.whereOf(node), `${what} must be a string${shown}; ${hint}`);
}

/** A list of strings; a single string is refused (a list is what the guard reads). */
export function stringsOf(yaml: YamlFile, node: unknown, what: string): string[] {
  if (!isSeq(node)) throw new TestFileError(yaml.whereOf(node), `${what} must be a list of strings, e.g. [a, b]`);
  return node.items.map((item, i) => stringOf(yaml, item, `${what}[${i}]`));
}

/** The plain value of a node (maps, lists, scalars), aliases resolved within the alias limit. */
export function plainValueOf(yaml: YamlFile, node: Node): unknown {
  try {
    return node.toJS(yaml.document, { maxAliasCount: 100 });
  } catch (error) {
    throw new TestFileError(yaml.whereOf(node), `cannot read this value (${(error as Error).message})`);
  }
}
