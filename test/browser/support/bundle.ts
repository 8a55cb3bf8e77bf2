// Bundles a page's script for the browser with esbuild, the way a web app's
// build would: protoauthz and its generated code resolved from this
// repository's sources, and any Node built-in refused (a browser has none).

import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** "protoauthz/session" → runtime/src/session/index.ts, read from the package's exports (its shipped targets, mapped to their sources). */
function workspaceSource(specifier: string): string | undefined {
  const match = /^(protoauthz)(\/.*)?$/.exec(specifier);
  if (match === null) return undefined;
  const manifest = JSON.parse(readFileSync(join(root, "runtime/package.json"), "utf8")) as { exports: Record<string, { default: string }> };
  const target = manifest.exports[`.${match[2] ?? ""}`]?.default;
  return target === undefined ? undefined : join(root, "runtime", target.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"));
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The Node built-ins the bundle asked for, with who asked. */
export interface BundleResult {
  readonly code: string;
  readonly nodeImports: readonly string[];
}

function browserOnly(found: string[]): Plugin {
  return {
    name: "browser-only",
    setup(b) {
      b.onResolve({ filter: /^protoauthz(\/.*)?$/ }, (args) => {
        const path = workspaceSource(args.path);
        return path === undefined ? undefined : { path };
      });
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!builtins.has(args.path)) return undefined;
        found.push(`${args.path} (imported by ${args.importer.replace(root, "")})`);
        return { path: args.path, external: true };
      });
    },
  };
}

/** Bundles `entry` (a path from the repository root, or `{ source }`: module text resolved from the root) as an ES module for browsers. */
export async function bundleForBrowser(entry: string | { source: string }): Promise<BundleResult> {
  const nodeImports: string[] = [];
  const result = await build({
    ...(typeof entry === "string"
      ? { entryPoints: [join(root, entry)] }
      : { stdin: { contents: entry.source, resolveDir: root, loader: "ts" as const, sourcefile: "page.ts" } }),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
    plugins: [browserOnly(nodeImports)],
  });
  return { code: result.outputFiles[0]?.text ?? "", nodeImports };
}
