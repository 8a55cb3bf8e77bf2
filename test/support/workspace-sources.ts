// Where each export of the two workspace packages has its TypeScript source,
// read from their package.json "exports": vitest resolves `protoauthz/…` and
// `protoc-gen-authz` here (vitest.config.ts), so a test never runs against a
// stale build, and the shipped exports name only what is shipped (dist/).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

const packages = [
  { name: "protoauthz", dir: "runtime" },
  { name: "protoc-gen-authz", dir: "plugin" },
] as const;

/** Import specifier ("protoauthz/connect") → absolute path of its source ("…/runtime/src/connect/index.ts"). */
export function workspaceSources(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const { name, dir } of packages) {
    const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
      exports: Record<string, { default: string }>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      const source = target.default.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts");
      sources.set(subpath === "." ? name : `${name}/${subpath.slice(2)}`, join(root, dir, source));
    }
  }
  return sources;
}

/** The same, as TypeScript `paths` (for in-memory type-checks with ts-morph). */
export function workspacePaths(): Record<string, string[]> {
  return Object.fromEntries([...workspaceSources()].map(([specifier, path]) => [specifier, [path]]));
}
