import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parse } from "yaml";

/** The repository root (git's top level), else the working directory. */
export function repositoryRoot(cwd: string = process.cwd()): string {
  try {
    return execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return cwd;
  }
}

/**
 * Maps a proto file name of an image ("notes/v1/notes.proto", relative to
 * its buf module) to the path a reviewer and GitHub know, relative to the
 * repository root ("proto/notes/v1/notes.proto"). The modules are read from
 * the buf.yaml of the input directory or of the working directory; a name
 * found in none stays as it is.
 */
export function createPathMapper(input: string | undefined): (file: string) => string {
  const root = repositoryRoot();
  const base = input !== undefined && isDirectory(input) ? resolve(input) : process.cwd();
  const roots = [...moduleRoots(base), base];
  const cache = new Map<string, string>();
  return (file) => {
    let mapped = cache.get(file);
    if (mapped === undefined) {
      const found = roots.map((r) => join(r, file)).find((p) => existsSync(p));
      mapped = found === undefined ? file : relative(root, found);
      cache.set(file, mapped);
    }
    return mapped;
  };
}

/** The module folders of the nearest buf.yaml at or above `dir`. */
function moduleRoots(dir: string): string[] {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, "buf.yaml");
    if (existsSync(file)) {
      try {
        const config = parse(readFileSync(file, "utf8")) as { modules?: { path?: unknown }[] } | null;
        return (config?.modules ?? []).flatMap((m) => (typeof m?.path === "string" ? [join(d, m.path)] : []));
      } catch {
        return [];
      }
    }
    if (dirname(d) === d) return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
