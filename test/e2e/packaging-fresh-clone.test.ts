// `npm pack` from a fresh checkout, without building first: the tarball must
// hold every file package.json promises (each exports target and bin), or
// packing must fail. Before prepack built, it shipped no dist/ at all.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/request.js";

interface Manifest {
  exports?: unknown;
  bin?: string | Record<string, string>;
}

/** What a clone of this tree holds: tracked and new files, nothing ignored (no dist/, no node_modules/). */
function freshCheckout(into: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(repoRoot, f)));
  for (const file of files) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(into, file));
  }
}

/** Every file a manifest promises, as tarball paths: exports targets (but the dev-only "source") and bins. */
function promised(manifest: Manifest): string[] {
  const paths: string[] = [];
  const walk = (node: unknown, condition: string | undefined) => {
    if (typeof node === "string") {
      if (condition !== "source") paths.push(node);
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) walk(value, key);
    }
  };
  walk(manifest.exports, undefined);
  paths.push(...(typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {})));
  return paths.map((p) => p.replace(/^\.\//, ""));
}

describe("npm pack from a fresh clone, without a build", () => {
  let work: string;
  let clone: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "protoauthz-fresh-"));
    clone = join(work, "repo");
    freshCheckout(clone);
    expect(existsSync(join(clone, "runtime/dist"))).toBe(false);
    execFileSync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], {
      cwd: clone,
      stdio: "pipe",
    });
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const pkg of ["runtime", "plugin"]) {
    it(`${pkg}: every export and bin in package.json is in the tarball`, () => {
      const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
        cwd: join(clone, pkg),
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      const [packed] = JSON.parse(out.slice(out.indexOf("["))) as { files: { path: string }[] }[];
      const files = new Set(packed?.files.map((f) => f.path));
      const manifest = JSON.parse(readFileSync(join(clone, pkg, "package.json"), "utf8")) as Manifest;
      const wanted = promised(manifest);
      expect(wanted.length).toBeGreaterThan(1);
      expect(wanted.filter((path) => !files.has(path))).toEqual([]);
    }, 300_000);
  }
});
