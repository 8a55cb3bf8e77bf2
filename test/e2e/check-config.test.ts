// `check` and `report` judge what `buf generate` generates: the plugin options
// come from buf.gen.yaml, the layout's classic mistakes are named with their
// fix, and acknowledgements live in a reviewed file.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, protoDir, rpc, runCli, scratch, svc } from "../support/check-cli.js";
import { repoRoot } from "../support/request.js";

const work = scratch("config");
afterAll(() => rmSync(work, { recursive: true, force: true }));
let projects = 0;

/** A project folder: protos (schema included) and a buf.gen.yaml. */
function project(body: string, bufGen: string | undefined): { dir: string; image: string } {
  const dir = protoDir(join(work, `p${++projects}`), body);
  if (bufGen !== undefined) writeFileSync(join(dir, "buf.gen.yaml"), bufGen);
  return { dir, image: buildImage(dir, join(dir, "image.binpb")) };
}

const template = (authzOpt: string[], { inputs = true, rewrite = true } = {}) =>
  [
    "version: v2",
    ...(inputs ? ["inputs:", "  - directory: check"] : []),
    "plugins:",
    "  - local: protoc-gen-es",
    "    out: gen",
    `    opt: [target=ts${rewrite ? ', "rewrite_imports=./protoauthz/**/*_pb.js:protoauthz"' : ""}]`,
    "  - local: protoc-gen-authz",
    "    out: gen",
    "    strategy: all",
    "    opt:",
    ...authzOpt.map((o) => `      - ${o}`),
    "",
  ].join("\n");

describe("check reads buf.gen.yaml", () => {
  it("closes the vocabulary exactly as generation does", () => {
    const { dir } = project(
      svc(rpc("A", `{ authenticated: { principals: "robot" } }`)),
      template(["target=ts", "principals=user|service"]),
    );
    const run = runCli(dir, "check", "image.binpb");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/check\/v1\/api\.proto:\d+:\d+: check\.v1\.Api\.A: principal "robot" is not in the declared vocabulary/);
    expect(runCli(dir, "check", "image.binpb", "--buf-gen-yaml", "").code).toBe(0);
  });

  it("undeclared=deny: check passes as generation does, and report lists what is left with the count of all RPCs", () => {
    const body = svc([rpc("Declared", `{ public: { reason: "ok" } }`), rpc("Forgotten")].join("\n"));
    const { dir } = project(body, template(["target=ts", "undeclared=deny"]));
    expect(runCli(dir, "check", "image.binpb")).toMatchObject({ code: 0 });
    const report = runCli(dir, "report", "image.binpb").stdout;
    expect(report).toContain("**1 of 2 RPCs declare no rule** and are denied until they do (undeclared=deny):");
    expect(report).toMatch(/- `\/check\.v1\.Api\/Forgotten` \(`check\/v1\/api\.proto:\d+:\d+`\)/);
    expect(runCli(dir, "check", "image.binpb", "--buf-gen-yaml", "").stdout).toMatch(/check\.v1\.Api\.Forgotten: no rule/);
  });

  it("an unknown option in buf.gen.yaml is an input error naming the line", () => {
    const { dir } = project(svc(rpc("A", `{ public: { reason: "ok" } }`)), template(["target=ts", "principal=user"]));
    const run = runCli(dir, "check", "image.binpb");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^protoc-gen-authz: buf\.gen\.yaml:8: protoc-gen-authz unknown option "principal"\. protoc-gen-authz options are: registry: .* principals: closed list/,
    );
  });

  it("names the fix for a forgotten rewrite_imports and for generating the shipped schema", () => {
    const rule = svc(rpc("A", `{ public: { reason: "ok" } }`));
    const forgotten = project(rule, template(["target=ts"], { rewrite: false }));
    const run = runCli(forgotten.dir, "check", "image.binpb");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'buf.gen.yaml:5:5: protoc-gen-es: its output imports ./protoauthz/v1/authz_pb.js, which nothing generates (add "rewrite_imports=./protoauthz/**/*_pb.js:protoauthz" to its opt',
    );
    const everything = project(rule, template(["target=ts"], { inputs: false }));
    expect(runCli(everything.dir, "check", "image.binpb").stdout).toContain(
      "buf.gen.yaml:3:5: protoc-gen-es: the buf workspace includes protoauthz/v1/authz.proto, so buf generate also writes an unused copy",
    );
  });
});

describe("services generated elsewhere", () => {
  it("skips what the plugin's exclude_types leaves out of generation (grpc.health.v1)", () => {
    const { dir } = project(svc(rpc("A", `{ public: { reason: "ok" } }`)), undefined);
    cpSync(join(repoRoot, "test/fixtures/health/grpc"), join(dir, "grpc"), { recursive: true });
    const withTypes = (excluded: boolean) =>
      writeFileSync(
        join(dir, "buf.gen.yaml"),
        template(["target=ts"]).replace("    strategy: all", `    strategy: all${excluded ? "\n    exclude_types: [grpc.health.v1]" : ""}`),
      );
    withTypes(true);
    expect(runCli(dir, "check", ".")).toMatchObject({ code: 0, stdout: "protoauthz check: ok\n" });
    withTypes(false);
    const run = runCli(dir, "check", ".");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/grpc\/health\/v1\/health\.proto:\d+:\d+: grpc\.health\.v1\.Health\.Check: no rule/);
  });
});

describe("buf's default layout", () => {
  it("explains 'declared multiple times' when the schema is reached twice through node_modules", () => {
    const dir = join(work, "default-layout");
    mkdirSync(join(dir, "proto/x/v1"), { recursive: true });
    for (const pkg of ["protoauthz", "protoc-gen-authz"])
      cpSync(join(repoRoot, "proto"), join(dir, "node_modules", pkg, "proto"), { recursive: true });
    writeFileSync(
      join(dir, "proto/x/v1/a.proto"),
      'syntax = "proto3";\npackage x.v1;\nimport "protoauthz/v1/authz.proto";\nmessage A {}\n',
    );
    writeFileSync(join(dir, "buf.yaml"), "version: v2\n");
    const run = runCli(dir, "check", ".");
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/declared multiple times.*add "excludes: \[node_modules\]" to the root module in buf\.yaml/);
  });
});

describe("authz-acknowledgements.yaml", () => {
  const before = svc(rpc("A", `{ deny: { reason: "x" } }`));
  const after = svc(rpc("A", `{ public: { reason: "x" } }`));

  it("acknowledges a loosening with a reason, and reports an entry that loosens nothing as stale", () => {
    const old = project(before, undefined).image;
    const { dir } = project(after, undefined);
    const file = (entries: string[]) => writeFileSync(join(dir, "acks.yaml"), ["acknowledgements:", ...entries, ""].join("\n"));
    const check = () => runCli(dir, "check", "image.binpb", "--against", old, "--acknowledgements", "acks.yaml");
    file([]);
    expect(check().stdout).toMatch(
      /LOOSENS: \/check\.v1\.Api\/A: deny → public \(review it, then add "- rpc: check\.v1\.Api\.A" with a reason to acks\.yaml\)/,
    );
    file(["  - rpc: check.v1.Api.A", "    reason: reviewed in #7", "  - rpc: check.v1.Api.B", "    reason: left over"]);
    const acknowledged = check();
    expect(acknowledged.code).toBe(0);
    expect(acknowledged.stdout).toMatch(/^acks\.yaml:4: stale acknowledgement: check\.v1\.Api\.B is acknowledged but does not loosen/m);
    expect(acknowledged.stdout).toMatch(/protoauthz check: ok \(1 stale acknowledgement\(s\)\)$/m);
  });

  it("refuses an entry without a reason, a duplicate, or another shape (exit 2, with the line)", () => {
    const old = project(before, undefined).image;
    const { dir } = project(after, undefined);
    const refused = (lines: string[], message: RegExp) => {
      writeFileSync(join(dir, "acks.yaml"), `${lines.join("\n")}\n`);
      const run = runCli(dir, "check", "image.binpb", "--against", old, "--acknowledgements", "acks.yaml");
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    };
    refused(["acknowledgements:", "  - rpc: check.v1.Api.A"], /acks\.yaml:2: check\.v1\.Api\.A: give a reason/);
    refused(["acknowledgements:", "  - rpc: check.v1.Api.A", "    reason: ' '"], /give a reason/);
    refused(
      ["acknowledgements:", "  - rpc: check.v1.Api.A", "    reason: a", "  - rpc: check.v1.Api.A", "    reason: b"],
      /acks\.yaml:4: check\.v1\.Api\.A is already acknowledged on line 2/,
    );
    refused(["- check.v1.Api.A"], /acks\.yaml:1: expected a single key "acknowledgements"/);
    refused(["acknowledgements:", "  - rpc: check.v1.Api.A", "    reason: a", "    expires: never"], /only rpc and reason are allowed/);
  });
});
