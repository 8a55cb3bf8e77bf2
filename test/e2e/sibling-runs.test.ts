// The per-directory run detection keeps its markers where only this user can
// write. Entries another user plants in the shared temp directory can neither
// redirect the plugin's writes nor fail its generation. The plugin runs as its
// executable, a child of this process, as buf runs it.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type CodeGeneratorRequest, CodeGeneratorRequestSchema, CodeGeneratorResponseSchema } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runMarker } from "../../plugin/src/sibling-runs.js";
import { buildRequest, repoRoot } from "../support/request.js";

const pluginBin = join(repoRoot, "plugin/bin/protoc-gen-authz");
const parameter = "target=ts";
const rule = 'option (protoauthz.v1.rule) = { public: { reason: "probe" } };';

/** One run per directory, as buf's `strategy: directory` makes them. */
let perDirectory: { a: CodeGeneratorRequest; b: CodeGeneratorRequest };

beforeAll(() => {
  const input = mkdtempSync(join(tmpdir(), "protoauthz-siblings-in-"));
  try {
    for (const name of ["a", "b"]) {
      mkdirSync(join(input, name), { recursive: true });
      writeFileSync(
        join(input, name, `${name}.proto`),
        `syntax = "proto3";\npackage ${name};\nimport "protoauthz/v1/authz.proto";\nservice S { rpc M(E) returns (E) { ${rule} } }\nmessage E {}\n`,
      );
    }
    const all = buildRequest(input, parameter);
    const only = (name: string, other: string) =>
      ({
        ...all,
        fileToGenerate: [`${name}/${name}.proto`],
        protoFile: all.protoFile.filter((f) => !f.name.startsWith(`${other}/`)),
      }) as CodeGeneratorRequest;
    perDirectory = { a: only("a", "b"), b: only("b", "a") };
  } finally {
    rmSync(input, { recursive: true, force: true });
  }
});

const work: string[] = [];
afterEach(() => {
  for (const dir of work.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh shared temp directory, standing in for /tmp. */
function sharedTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "protoauthz-shared-"));
  work.push(dir);
  return dir;
}

/** Runs the plugin executable as a child of this process with TMPDIR set. */
function plugin(request: CodeGeneratorRequest, tmp: string) {
  const run = spawnSync(pluginBin, [], { input: toBinary(CodeGeneratorRequestSchema, request), env: { ...process.env, TMPDIR: tmp } });
  expect(run.status, run.stderr.toString()).toBe(0);
  const response = fromBinary(CodeGeneratorResponseSchema, run.stdout);
  return { error: response.error, files: response.file.length, stderr: run.stderr.toString() };
}

/** Where a run for `directory`, child of this process, puts its marker. */
function markerOf(tmp: string, directory: string) {
  const marker = runMarker(tmp, process.pid, parameter, [directory]);
  if (marker === undefined) throw new Error("needs /proc (Linux)");
  return marker;
}

/** Everything below dir, with file contents and link targets. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile() ? readFileSync(path, "utf8") : entry.isSymbolicLink() ? "symlink" : "dir";
  }
  return out;
}

/**
 * What another user leaves at the private directory's name: a marker for
 * another directory of this very run (which would fail generation if
 * trusted) and, at this run's marker name, a symlink to a victim file (which
 * would be overwritten if followed).
 */
function plant(at: string, tmp: string): string {
  const marker = markerOf(tmp, "a");
  const runFolder = join(at, marker.directory.slice(marker.base.length));
  mkdirSync(runFolder, { recursive: true });
  writeFileSync(join(runFolder, "planted"), "elsewhere");
  const victim = join(tmp, "victim.txt");
  writeFileSync(victim, "precious");
  symlinkSync(victim, join(runFolder, marker.name));
  return victim;
}

describe("sibling run detection", () => {
  it("still fails the second directory of one buf run, through a directory only this user can use", () => {
    const tmp = sharedTmp();
    expect(plugin(perDirectory.a, tmp)).toMatchObject({ error: "", stderr: "" });
    const second = plugin(perDirectory.b, tmp);
    expect(second.error).toContain("b and a: buf ran protoc-gen-authz once per directory");
    // Whatever the plugin left in the shared directory, only this user can use.
    const left = readdirSync(tmp, { recursive: true, withFileTypes: true });
    expect(left.length).toBeGreaterThan(0);
    for (const entry of left) {
      const stat = lstatSync(join(entry.parentPath, entry.name));
      expect([entry.name, stat.isSymbolicLink(), stat.uid, stat.mode & 0o777]).toEqual([
        entry.name,
        false,
        process.getuid?.(),
        stat.isDirectory() ? 0o700 : 0o600,
      ]);
    }
  });

  it("does not follow a symlink planted at the private directory's name", () => {
    const tmp = sharedTmp();
    const elsewhere = join(tmp, "elsewhere");
    const victim = plant(elsewhere, tmp);
    symlinkSync(elsewhere, markerOf(tmp, "a").base);
    const before = snapshot(tmp);
    const run = plugin(perDirectory.a, tmp);
    expect(run).toMatchObject({ error: "", files: 2 });
    expect(run.stderr).toContain("is not a directory only you can write");
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(snapshot(tmp)).toEqual(before);
  });

  it("does not trust a directory at that name that others can write", () => {
    const tmp = sharedTmp();
    const base = markerOf(tmp, "a").base;
    const victim = plant(base, tmp);
    chmodSync(base, 0o777);
    const before = snapshot(tmp);
    expect(plugin(perDirectory.a, tmp)).toMatchObject({ error: "", files: 2 });
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(snapshot(tmp)).toEqual(before);
  });

  it.skipIf(process.getuid?.() !== 0)("does not trust a directory at that name owned by another user", () => {
    const tmp = sharedTmp();
    const base = markerOf(tmp, "a").base;
    const victim = plant(base, tmp);
    chmodSync(base, 0o700);
    chownSync(base, 65534, 65534);
    const before = snapshot(tmp);
    expect(plugin(perDirectory.a, tmp)).toMatchObject({ error: "", files: 2 });
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(snapshot(tmp)).toEqual(before);
  });
});
