import { readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Principal } from "protoauthz/tool";
import { isMap, isScalar, isSeq, type Node } from "yaml";
import { readRelationships } from "./relationships-file.js";
import { closest, TestFileError, type Where } from "./where.js";
import { pairsOf, parseYamlFile, plainValueOf, stringOf, stringsOf, type YamlFile } from "./yaml-nodes.js";

/** What a test expects of one principal's call. */
export const outcomes = ["ALLOW", "PERMISSION_DENIED", "UNAUTHENTICATED"] as const;
export type Outcome = (typeof outcomes)[number];

/** The built-in caller without credentials. */
export const anonymous = "anonymous";

export interface PrincipalDef {
  readonly name: string;
  readonly principal: Principal;
  readonly where: Where;
  readonly kindWhere: Where;
}

/** A request message as written: proto JSON, checked against the RPC's input type when the input is known. */
export interface MessageDef {
  readonly json: unknown;
  readonly where: Where;
  /** The name it was defined under in `requests`, when the test refers to one. */
  readonly name?: string;
}

export interface Expectation {
  readonly principal: string;
  readonly outcome: Outcome;
  readonly where: Where;
}

export interface TestCaseDef {
  readonly where: Where;
  readonly rpc: string;
  readonly rpcWhere: Where;
  /** `request:` (one message) or `stream:` (messages in order); neither means one empty message. */
  readonly messages: readonly MessageDef[];
  readonly stream: boolean;
  readonly expect: readonly Expectation[];
}

export interface RelationsDef {
  readonly schema: string;
  readonly schemaWhere: Where;
  readonly relationships: readonly { readonly text: string; readonly where: Where }[];
}

/** One test file with everything its includes share. */
export interface TestSuite {
  readonly file: string;
  readonly principals: ReadonlyMap<string, PrincipalDef>;
  readonly relations: RelationsDef | undefined;
  readonly tests: readonly TestCaseDef[];
}

const topKeys = ["include", "principals", "requests", "schema", "relationships", "tests"];
const principalKeys = ["kind", "subject", "scopes", "roles", "attributes"];
const testKeys = ["rpc", "request", "stream", "expect"];
const maxIncludeDepth = 16;

interface Shared {
  principals: Map<string, PrincipalDef>;
  requests: Map<string, MessageDef>;
  schema: { path: string; where: Where } | undefined;
  relationships: { text: string; where: Where }[];
}

/** Reads a test file and its includes; `shown` names a path in messages. */
export function readTestSuite(path: string, shown: (path: string) => string): TestSuite {
  const shared: Shared = { principals: new Map(), requests: new Map(), schema: undefined, relationships: [] };
  const { yaml, root } = load(path, shown, undefined);
  readShared(path, yaml, root, shared, shown, [resolve(path)]);
  const relationshipsWhere = shared.relationships[0]?.where;
  if (shared.schema === undefined && relationshipsWhere !== undefined) {
    throw new TestFileError(relationshipsWhere, "relationships without schema (add schema: path/to/schema.zed, relative to this file)");
  }
  const testsNode = isMap(root) ? root.get("tests", true) : undefined;
  const tests = testsNode === undefined ? [] : readTests(yaml, testsNode as Node, shared);
  return {
    file: yaml.file,
    principals: shared.principals,
    relations:
      shared.schema === undefined
        ? undefined
        : { schema: shared.schema.path, schemaWhere: shared.schema.where, relationships: shared.relationships },
    tests,
  };
}

function load(path: string, shown: (path: string) => string, includedAt: Where | undefined): { yaml: YamlFile; root: unknown } {
  const file = shown(path);
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new Error("not a regular file");
    text = readFileSync(path, "utf8");
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const problem = `cannot read ${file} (${why})`;
    if (includedAt !== undefined) throw new TestFileError(includedAt, `${problem}; include paths are relative to the including file`);
    throw new TestFileError({ file, line: 1, column: 1 }, `${problem}; pass a test file (*.authz-test.yaml)`);
  }
  const yaml = parseYamlFile(file, text);
  const root = yaml.document.contents;
  if (root !== null) pairsOf(yaml, root, "a test file", topKeys);
  return { yaml, root };
}

/** Principals, requests, schema and relationships of a file, its includes' first (depth first). */
function readShared(path: string, yaml: YamlFile, root: unknown, shared: Shared, shown: (path: string) => string, chain: string[]): void {
  if (!isMap(root)) return;
  const include = root.get("include", true);
  if (include !== undefined) {
    const entries = isSeq(include) ? include.items : [include];
    for (const entry of entries) {
      const name = stringOf(yaml, entry, "include", "list the files to include, e.g. include: [common.authz-test.yaml]");
      const target = resolve(dirname(path), name);
      const at = yaml.whereOf(entry);
      if (chain.includes(target)) throw new TestFileError(at, `${name} includes itself (through ${chain.map(shown).join(" → ")})`);
      if (chain.length >= maxIncludeDepth) throw new TestFileError(at, `includes nest deeper than ${maxIncludeDepth} files`);
      const included = load(target, shown, at);
      readShared(target, included.yaml, included.root, shared, shown, [...chain, target]);
    }
  }
  const principals = root.get("principals", true);
  if (principals !== undefined) {
    for (const [name, pair] of pairsOf(yaml, principals, "principals")) {
      const where = yaml.whereOf(pair.key);
      if (name === anonymous)
        throw new TestFileError(where, `"${anonymous}" is built in (the caller without credentials); choose another name`);
      define(shared.principals, name, where, "principal", () => readPrincipal(yaml, name, pair.value, where));
    }
  }
  const requests = root.get("requests", true);
  if (requests !== undefined) {
    for (const [name, pair] of pairsOf(yaml, requests, "requests")) {
      const where = yaml.whereOf(pair.key);
      define(shared.requests, name, where, "request", () => ({ json: messageJson(yaml, pair.value), where, name }));
    }
  }
  const schema = root.get("schema", true);
  if (schema !== undefined) {
    const where = yaml.whereOf(schema);
    const file = stringOf(yaml, schema, "schema", "give the path of a SpiceDB schema (.zed), relative to this file");
    if (shared.schema !== undefined && shared.schema.path !== resolve(dirname(path), file)) {
      throw new TestFileError(where, `a second schema (the first is at ${shared.schema.where.file}:${shared.schema.where.line}); keep one`);
    }
    shared.schema = { path: resolve(dirname(path), file), where };
  }
  const relationships = root.get("relationships", true);
  if (relationships !== undefined) shared.relationships.push(...readRelationships(yaml, relationships));
}

function define<T extends { where: Where }>(map: Map<string, T>, name: string, where: Where, what: string, read: () => T): void {
  const existing = map.get(name);
  if (existing !== undefined) {
    // The same definition reached through two includes is one definition.
    if (existing.where.file === where.file && existing.where.line === where.line) return;
    throw new TestFileError(where, `${what} "${name}" is already defined at ${existing.where.file}:${existing.where.line} (rename one)`);
  }
  map.set(name, read());
}

function readPrincipal(yaml: YamlFile, name: string, node: unknown, where: Where): PrincipalDef {
  const what = `principal "${name}"`;
  const fields = new Map(pairsOf(yaml, node, what, principalKeys).map(([key, pair]) => [key, pair.value]));
  const kindNode = fields.get("kind");
  if (kindNode === undefined) throw new TestFileError(where, `${what} has no kind (add kind: user, or the kind your authenticator gives)`);
  const attributes: Record<string, string> = Object.create(null);
  const attributesNode = fields.get("attributes");
  if (attributesNode !== undefined) {
    for (const [key, pair] of pairsOf(yaml, attributesNode, `${what}: attributes`)) {
      attributes[key] = stringOf(yaml, pair.value, `${what}: attribute "${key}"`, "quote it: principal attributes are always strings");
    }
  }
  const subjectNode = fields.get("subject");
  const list = (key: string) => {
    const value = fields.get(key);
    return value === undefined ? [] : stringsOf(yaml, value, `${what}: ${key}`);
  };
  return {
    name,
    where,
    kindWhere: yaml.whereOf(kindNode),
    principal: {
      kind: stringOf(yaml, kindNode, `${what}: kind`),
      subject: subjectNode === undefined ? name : stringOf(yaml, subjectNode, `${what}: subject`),
      scopes: list("scopes"),
      roles: list("roles"),
      attributes,
    },
  };
}

/** A request body: a map of proto JSON. */
function messageJson(yaml: YamlFile, node: unknown): unknown {
  if (!isMap(node))
    throw new TestFileError(
      yaml.whereOf(node),
      "a request must be a map of the RPC's input message in proto JSON, e.g. { sandboxId: sb-1 }",
    );
  return plainValueOf(yaml, node);
}

function readTests(yaml: YamlFile, node: Node, shared: Shared): TestCaseDef[] {
  if (!isSeq(node)) throw new TestFileError(yaml.whereOf(node), "tests must be a list of { rpc, request | stream, expect }");
  return node.items.map((item) => {
    const where = yaml.whereOf(item);
    const fields = new Map(pairsOf(yaml, item, "a test", testKeys).map(([key, pair]) => [key, pair]));
    const rpc = fields.get("rpc");
    if (rpc === undefined) throw new TestFileError(where, "a test has no rpc (add rpc: pkg.Service/Method)");
    const request = fields.get("request")?.value;
    const stream = fields.get("stream")?.value;
    if (request !== undefined && stream !== undefined) {
      throw new TestFileError(yaml.whereOf(stream), "a test has both request and stream (use request for one message, stream for several)");
    }
    let messages: MessageDef[] = [{ json: {}, where }];
    if (request !== undefined) messages = [messageRef(yaml, request, shared)];
    if (stream !== undefined) {
      if (!isSeq(stream)) throw new TestFileError(yaml.whereOf(stream), "stream must be a list of requests, in the order they are sent");
      messages = stream.items.map((m) => messageRef(yaml, m, shared));
    }
    const expect = fields.get("expect")?.value;
    if (expect === undefined)
      throw new TestFileError(where, "a test has no expect (add expect: { principal: ALLOW | PERMISSION_DENIED | UNAUTHENTICATED })");
    return {
      where,
      rpc: stringOf(yaml, rpc.value, "rpc", "write it as pkg.Service/Method"),
      rpcWhere: yaml.whereOf(rpc.value),
      messages,
      stream: stream !== undefined,
      expect: pairsOf(yaml, expect, "expect").map(([principal, pair]) => expectation(yaml, principal, pair.key, pair.value, shared)),
    };
  });
}

function messageRef(yaml: YamlFile, node: unknown, shared: Shared): MessageDef {
  const where = yaml.whereOf(node);
  if (!isScalar(node)) return { json: messageJson(yaml, node), where };
  const name = stringOf(yaml, node, "request", "name one of requests, or write the message inline as a map");
  const defined = shared.requests.get(name);
  if (defined === undefined) {
    const suggestion = closest(name, shared.requests.keys());
    throw new TestFileError(
      where,
      `unknown request "${name}" (${suggestion ? `did you mean "${suggestion}"? ` : ""}define it under requests:)`,
    );
  }
  return { json: defined.json, where, name };
}

function expectation(yaml: YamlFile, principal: string, keyNode: unknown, node: unknown, shared: Shared): Expectation {
  if (principal !== anonymous && !shared.principals.has(principal)) {
    const suggestion = closest(principal, [...shared.principals.keys(), anonymous]);
    throw new TestFileError(
      yaml.whereOf(keyNode),
      `unknown principal "${principal}" (${suggestion ? `did you mean "${suggestion}"? ` : ""}define it under principals:, or use ${anonymous})`,
    );
  }
  const word = isScalar(node) ? String(node.value) : "";
  if (!(outcomes as readonly string[]).includes(word)) {
    const suggestion = closest(word, outcomes);
    throw new TestFileError(
      yaml.whereOf(node),
      `unknown outcome "${word}" (${suggestion ? `did you mean ${suggestion}? ` : ""}use ${outcomes.join(", ")})`,
    );
  }
  return { principal, outcome: word as Outcome, where: yaml.whereOf(keyNode) };
}

/** A path as messages show it: relative to the working directory when inside it. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel.startsWith("..") || rel === "" ? path : rel.split("\\").join("/");
}
