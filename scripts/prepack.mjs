// Runs before `npm pack` / `npm publish` in a package folder: builds the
// package (and what it references) so a tarball never ships without dist/,
// copies the annotation schema (so users can point buf at
// node_modules/<package>/proto) and the repo's LICENSE into the package, then
// checks that every `exports` target and `bin` the manifest names exists.
// The one source of the schema and the LICENSE stays at the repo root.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const pkg = process.cwd();

function fail(message) {
  console.error(`prepack: ${message}`);
  process.exit(1);
}

const tsc = resolve(root, "node_modules/typescript/bin/tsc");
if (!existsSync(tsc)) fail(`cannot build ${pkg}: TypeScript is not installed. Run 'npm ci' at the repository root first.`);
try {
  execFileSync(process.execPath, [tsc, "-b", pkg], { cwd: root, stdio: "inherit" });
} catch {
  fail(`building ${pkg} failed (see above); nothing was packed.`);
}

cpSync(resolve(root, "proto/protoauthz"), resolve(pkg, "proto/protoauthz"), { recursive: true });
copyFileSync(resolve(root, "LICENSE"), resolve(pkg, "LICENSE"));

const manifest = JSON.parse(readFileSync(resolve(pkg, "package.json"), "utf8"));
const missing = shippedPaths(manifest).filter((path) => !existsSync(resolve(pkg, path)));
if (missing.length > 0) fail(`${manifest.name} names files the build did not produce: ${missing.join(", ")}`);

/** Every file the manifest promises: exports targets (all conditions but "source") and bins. */
function shippedPaths(manifest) {
  const targets = [];
  const walk = (node, condition) => {
    if (typeof node === "string") {
      if (condition !== "source") targets.push(node);
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) walk(value, key);
    }
  };
  walk(manifest.exports, undefined);
  const bins = typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
  return [...targets, ...bins];
}
