import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Under buf's default `strategy: directory`, buf runs the plugin once per
 * directory, in parallel, and keeps only the first registry it receives: a
 * registry missing services, and only a warning. No single run can see the
 * others' files, but all of them are children of the same buf process. Each
 * run leaves a marker in a folder named for that process (pid and start
 * time) and these options; a run that finds a marker for another directory
 * fails, and with it `buf generate`.
 *
 * Linux only (the parent's start time comes from /proc); elsewhere, and for
 * in-process runs, only the import-based check in strategy.ts applies.
 */
export function checkSiblingRuns(directories: readonly string[], parameter: string): string[] {
  const runId = parentRunId();
  if (runId === undefined) return [];
  const root = join(tmpdir(), "protoc-gen-authz-runs");
  const dir = join(root, `${runId}-${hash(parameter)}`);
  const mine = hash(directories.join("\n"));
  try {
    mkdirSync(dir, { recursive: true });
    sweep(root);
    writeFileSync(join(dir, mine), directories.join("\n"));
    const others = readdirSync(dir).filter((name) => name !== mine);
    if (others.length === 0) return [];
    const other = readFileSync(join(dir, others[0] ?? ""), "utf8");
    return [
      `${directories[0]} and ${other.split("\n")[0]}: buf ran protoc-gen-authz once per directory, so each run writes a partial registry (set "strategy: all" on protoc-gen-authz in buf.gen.yaml, or set registry= to disable the registry)`,
    ];
  } catch {
    return []; // A read-only temp dir must not break generation.
  }
}

function parentRunId(): string | undefined {
  try {
    const stat = readFileSync(`/proc/${process.ppid}/stat`, "utf8");
    // Field 22 (start time) comes after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return `${process.ppid}-${fields[19]}`;
  } catch {
    return undefined;
  }
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Removes markers of runs older than an hour. */
function sweep(root: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const path = join(root, name.name);
    if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}
