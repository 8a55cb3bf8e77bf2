// Plain protoc, without buf: the plugin reads a CodeGeneratorRequest on stdin
// like any other. (CI installs Debian's protobuf-compiler; a machine without
// protoc skips this file outside CI.)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/request.js";

const hasProtoc = spawnSync("protoc", ["--version"]).status === 0;
const plugin = join(repoRoot, "plugin/bin/protoc-gen-authz");

function protoc(golden: string, file: string, opt = "target=ts", inputDir = join(repoRoot, "test/golden", golden, "input")) {
  const out = mkdtempSync(join(tmpdir(), "protoauthz-protoc-"));
  const run = spawnSync(
    "protoc",
    [
      `--plugin=protoc-gen-authz=${plugin}`,
      `--authz_out=${out}`,
      `--authz_opt=${opt}`,
      "-I",
      inputDir,
      "-I",
      join(repoRoot, "proto"),
      file,
    ],
    { encoding: "utf8" },
  );
  return { out, code: run.status, stderr: run.stderr };
}

describe.skipIf(!hasProtoc && process.env.CI === undefined)("protoc --plugin", () => {
  it("generates the same tables as under buf (option columns differ: protoc points at `option`)", () => {
    const { out, code, stderr } = protoc("streaming-kinds", "stream/v1/stream.proto", "target=ts,import_extension=js");
    try {
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const expected = readFileSync(join(repoRoot, "test/golden/streaming-kinds/expected/stream/v1/stream_authz.ts"), "utf8");
      const sameLines = (text: string) => text.replace(/(\.proto:\d+):\d+\)/g, "$1)");
      expect(sameLines(readFileSync(join(out, "stream/v1/stream_authz.ts"), "utf8"))).toBe(sameLines(expected));
      expect(existsSync(join(out, "authz_registry.ts"))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("fails with every problem and exit code 1", () => {
    const { out, code, stderr } = protoc("error-missing-rule", "e/v1/missing.proto");
    rmSync(out, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toContain("e/v1/missing.proto:14:3: e.v1.Open.Forgotten: no rule");
    expect(stderr).toContain("e/v1/missing.proto:20:3: e.v1.Bare.Anything: no rule");
  });

  it("refuses a rule set by two statements, which protobuf would merge into the later access", () => {
    const { out, code, stderr } = protoc("", "twice/v1/twice.proto", "target=ts", join(repoRoot, "test/fixtures/rule-twice"));
    rmSync(out, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toContain(
      "twice/v1/twice.proto:13:3: twice.v1.TwiceService.Purge: the rule option is set by 2 statements, which protobuf merges into one rule (write it as one statement: option (protoauthz.v1.rule) = { … };)",
    );
    expect(stderr).toMatch(
      /twice\/v1\/twice\.proto:\d+:\d+: twice\.v1\.TwiceDefault: default_rule: the default_rule option is set by 2 statements/,
    );
    expect(stderr).not.toContain("TwiceService.Get");
  });

  it("locates rule bytes that do not decode (invalid UTF-8) and still reports the rest", () => {
    const { out, code, stderr } = protoc("", "bytes/v1/utf8.proto", "target=ts", join(repoRoot, "test/fixtures/rule-bytes"));
    rmSync(out, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toMatch(/bytes\/v1\/utf8\.proto:14:5: bytes\.v1\.Latin1\.Bad: the rule option's bytes do not decode \(.*utf-8.*\)/i);
    expect(stderr).toContain("bytes/v1/utf8.proto:16:3: bytes.v1.Latin1.Missing: no rule");
  });
});
