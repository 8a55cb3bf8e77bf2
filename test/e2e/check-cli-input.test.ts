// Broken inputs to the CLI binary: each is exit 2 with one line that says what
// is wrong and how to fix it. Never a stack trace, never "ok".
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, protoDir, rpc, runCli, scratch, svc } from "../support/check-cli.js";

const work = scratch("input");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dir = protoDir(join(work, "protos"), svc(rpc("A", `{ public: { reason: "ok" } }`)));
const good = buildImage(dir, join(work, "good.binpb"));

/** Exit 2, stderr one line naming the input and a fix, no stack frames. */
function refused(args: string[], what: RegExp) {
  const run = runCli(work, ...args);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(what);
  expect(run.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
  return lines;
}

/** The good image with the rule option of RPC A replaced by these bytes. */
function withRuleBytes(payload: number[]): string {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(good));
  const method = set.file.find((f) => f.name === "check/v1/api.proto")?.service[0]?.method[0];
  if (method?.options === undefined) throw new Error("no method options");
  method.options.$unknown = [{ no: 51720, wireType: 2, data: new Uint8Array([payload.length, ...payload]) }];
  const path = join(work, `garbage-${payload.join("-")}.binpb`);
  writeFileSync(path, toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, set)));
  return path;
}

describe("the CLI refuses broken input with exit 2 and one line", () => {
  it("a 0-byte image is never ok", () => {
    writeFileSync(join(work, "empty.binpb"), "");
    refused(
      ["check", "empty.binpb"],
      /^protoc-gen-authz: empty\.binpb: the image is empty \(0 bytes\); build one with 'buf build -o image\.binpb'$/,
    );
    refused(["report", "empty.binpb"], /the image is empty/);
  });

  it("an image built without its imports names the flag to drop", () => {
    buildImage(dir, join(work, "no-imports.binpb"), "--exclude-imports");
    refused(
      ["check", "no-imports.binpb"],
      /the image lacks imported files \(google\/protobuf\/descriptor\.proto\); build it with its imports .*--exclude-imports/,
    );
  });

  it("garbage rule bytes are an error, never a crash or ok", () => {
    const run = runCli(work, "check", withRuleBytes([0xff, 0xff, 0xff]));
    expect(run.code === 1 || run.code === 2).toBe(true);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at |protoauthz check: ok/);
    if (run.code === 2) expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("report --out into a missing directory says to create it", () => {
    refused(
      ["report", "good.binpb", "--out", "nope/surface.md"],
      /^protoc-gen-authz: --out nope\/surface\.md: the directory nope does not exist \(create it first\)$/,
    );
  });

  it("a named pipe or a device is refused without reading it", () => {
    execFileSync("mkfifo", [join(work, "pipe.binpb")]);
    refused(["check", "pipe.binpb"], /pipe\.binpb: not a regular file or directory \(pipes and devices are refused/);
    refused(["check", "/dev/zero"], /\/dev\/zero: not a regular file or directory/);
  });

  it("bytes that are not an image say how to build one", () => {
    writeFileSync(join(work, "text.binpb"), 'syntax = "proto3";\n');
    refused(["check", "text.binpb"], /text\.binpb: not a binary buf image or FileDescriptorSet .*'buf build -o image\.binpb'$/);
  });
});
