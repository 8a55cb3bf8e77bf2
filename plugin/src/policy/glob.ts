import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { InputError } from "../check/image.js";

/** Where test files are looked for when none are named. */
export const defaultPattern = "**/*.authz-test.yaml";

/** Folders a pattern never descends into. */
const skipped = new Set(["node_modules", ".git"]);
const maxFiles = 100_000;

/**
 * Test files named by paths or globs (`*`, `?`, `**`), each once, sorted.
 * A name that matches nothing is an error: a CI step that tests nothing must not pass.
 */
export function expandPatterns(patterns: readonly string[], cwd: string = process.cwd()): string[] {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const before = found.size;
    if (!/[*?]/.test(pattern)) {
      found.add(resolve(cwd, pattern)); // read later, where a missing file is reported
      continue;
    }
    const parts = pattern.split("/");
    const fixed = parts.findIndex((p) => /[*?]/.test(p));
    const base = resolve(cwd, parts.slice(0, fixed).join("/") || ".");
    const matcher = globToRegExp(parts.slice(fixed).join("/"));
    walk(base, (path) => {
      if (matcher.test(relative(base, path).split("\\").join("/"))) found.add(path);
      if (found.size > maxFiles) throw new InputError(`${pattern}: matches more than ${maxFiles} files (name a narrower folder)`);
    });
    if (found.size === before)
      throw new InputError(`${pattern}: no test file matches (name *.authz-test.yaml files or a glob that finds them)`);
  }
  return [...found].sort();
}

function walk(dir: string, visit: (path: string) => void): void {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipped.has(entry.name)) walk(path, visit);
    } else if (entry.isFile() || (entry.isSymbolicLink() && isFile(path))) visit(path);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `**` crosses folders, `*` and `?` stay within one; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
