import { createHash } from "node:crypto";
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
 * The markers live in `$TMPDIR/protoc-gen-authz-<uid>`, a directory only this
 * user can write: created 0700, and used only while it is a real directory
 * (not a symlink) owned by this user and closed to everyone else. Anything
 * else there was planted, so the check is skipped with a warning rather than
 * trusting it: a planted entry can neither redirect a write nor fail a run.
 * Markers are created with O_EXCL and read with O_NOFOLLOW all the same.
 *
 * Linux only (the parent's start time comes from /proc); elsewhere, and for
 * in-process runs, only the import-based check in strategy.ts applies.
 */
export function checkSiblingRuns(directories: readonly string[], parameter: string): string[] {
  try {
    const marker = runMarker(tmpdir(), process.ppid, parameter, directories);
    if (marker === undefined) return [];
    const base = privateDirectory(marker.base);
    if (base === undefined) {
      process.stderr.write(
        `protoc-gen-authz: ${marker.base} is not a directory only you can write (a symlink, another owner, or open permissions), so per-directory buf runs are not detected; remove it to restore the check\n`,
      );
      return [];
    }
    sweep(base);
    if (privateDirectory(marker.directory) === undefined) return [];
    writeMarker(join(marker.directory, marker.name), directories.join("\n"));
    const others = readdirSync(marker.directory).filter((name) => name !== marker.name);
    if (others.length === 0) return [];
    const other = readMarker(join(marker.directory, others[0] ?? ""));
    return [
      `${directories[0]} and ${other.split("\n")[0]}: buf ran protoc-gen-authz once per directory, so each run writes a partial registry (set "strategy: all" on protoc-gen-authz in buf.gen.yaml, or set registry= to disable the registry)`,
    ];
  } catch {
    return []; // A read-only temp dir must not break generation.
  }
}

/**
 * Where a run of `parentPid`'s child marks `directories`: the user's private
 * base under `root`, the folder of this parent and parameter, the marker's
 * name. Undefined where the parent's start time or the uid is unknown.
 */
export function runMarker(
  root: string,
  parentPid: number,
  parameter: string,
  directories: readonly string[],
): { base: string; directory: string; name: string } | undefined {
  const uid = process.getuid?.();
  const started = startTime(parentPid);
  if (uid === undefined || started === undefined) return undefined;
  const base = join(root, `protoc-gen-authz-${uid}`);
  return { base, directory: join(base, `${parentPid}-${started}-${hash(parameter)}`), name: hash(directories.join("\n")) };
}

/** Creates `path` 0700, and returns it only if it is a directory no one else can write. */
function privateDirectory(path: string): string | undefined {
  try {
    mkdirSync(path, { mode: 0o700 }); // never follows a symlink at `path`
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const stat = lstatSync(path);
  const mine = stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
  return mine ? path : undefined;
}

/** Writes a new marker; one already there is this run's own (same parent, options and directories). */
function writeMarker(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw error;
  }
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function readMarker(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/** The start time of a process (field 22 of /proc/<pid>/stat), which with the pid names one buf run. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Removes the marker folders of runs older than an hour. */
function sweep(base: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    const path = join(base, entry.name);
    if (entry.isDirectory() && lstatSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}
