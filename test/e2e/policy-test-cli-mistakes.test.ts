// `protoc-gen-authz test` through its binary: every mistake in a test file, its
// configuration or its input is exit 2, one line at the mistake's file:line:col.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/check-cli.js";
import { policyImage, policyTestScratch, principals, write } from "../support/policy-test.js";

const { work, image, testFile, cli, remove } = policyTestScratch("policy-test");
afterAll(remove);

describe("protoc-gen-authz test: every mistake in a test file is exit 2 at its file:line:col", () => {
  const mistakes: [string, string, RegExp][] = [
    [
      "unknown RPC, with the closest",
      `tests:\n  - rpc: check.v1.Api/Reed\n    expect: { anonymous: ALLOW }\n`,
      /:2:10: unknown RPC "check\.v1\.Api\/Reed" \(did you mean check\.v1\.Api\/Read\?/,
    ],
    [
      "request JSON that is not the input type (protobuf-es's error)",
      `tests:\n  - rpc: check.v1.Api/Own\n    request: { sandbox: sb-1 }\n    expect: { anonymous: ALLOW }\n`,
      /:3:14: request is not a check\.v1\.Req in proto JSON, the input of check\.v1\.Api\/Own: cannot decode message check\.v1\.Req from JSON: key "sandbox" is unknown/,
    ],
    [
      "unknown principal",
      `${principals}tests:\n  - rpc: check.v1.Api/Read\n    expect: { readr: ALLOW }\n`,
      /:8:15: unknown principal "readr" \(did you mean "reader"\?/,
    ],
    [
      "unknown outcome word",
      `${principals}tests:\n  - rpc: check.v1.Api/Read\n    expect: { reader: ALLOWED }\n`,
      /:8:23: unknown outcome "ALLOWED" \(did you mean ALLOW\? use ALLOW, PERMISSION_DENIED, UNAUTHENTICATED\)/,
    ],
    [
      "a non-string attribute",
      `principals:\n  sb: { kind: sandbox, attributes: { sandbox_id: 7 } }\n`,
      /:2:50: principal "sb": attribute "sandbox_id" must be a string \(7 is a number\); quote it/,
    ],
    [
      "an unknown request name",
      `tests:\n  - rpc: check.v1.Api/Own\n    request: onw\n    expect: { anonymous: ALLOW }\n`,
      /:3:14: unknown request "onw"/,
    ],
    [
      "stream on an RPC that takes one request",
      `tests:\n  - rpc: check.v1.Api/Own\n    stream: [{}]\n    expect: { anonymous: ALLOW }\n`,
      /:2:10: check\.v1\.Api\/Own takes one request \(unary\): write request:, not stream:/,
    ],
    [
      "an unknown key",
      `tests:\n  - rpc: check.v1.Api/Own\n    expects: {}\n`,
      /:3:5: a test: unknown key "expects" \(valid keys: rpc, request, stream, expect\)/,
    ],
    ["invalid YAML", `tests:\n  - rpc: [\n`, /:\d+:\d+: not valid YAML/],
    ["a duplicate key", `tests:\n  - rpc: check.v1.Api/Own\n    rpc: check.v1.Api/Read\n`, /:3:5: not valid YAML: Map keys must be unique/],
    ["a principal named anonymous", `principals:\n  anonymous: { kind: user }\n`, /:2:3: "anonymous" is built in/],
    [
      "a malformed relationship",
      `schema: s.zed\nrelationships: |\n  doc:1#viewer@user:a\n    doc:2 viewer user:b\n`,
      /:4:5: not a relationship: "doc:2 viewer user:b"/,
    ],
    ["relationships without schema", `relationships: |\n  doc:1#viewer@user:a\n`, /:2:3: relationships without schema/],
  ];
  it.each(mistakes)("%s", (_, text, message) => {
    const file = testFile(text);
    const run = cli(file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(new RegExp(`^protoc-gen-authz: ${file}${message.source}`));
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an include cycle and a missing include", () => {
    write(join(work, "cycle/a.authz-test.yaml"), "include: [b.authz-test.yaml]\n");
    write(join(work, "cycle/b.authz-test.yaml"), "include: [a.authz-test.yaml]\n");
    expect(cli("cycle/a.authz-test.yaml").stderr).toMatch(/cycle\/b\.authz-test\.yaml:1:11: a\.authz-test\.yaml includes itself/);
    const missing = cli(testFile("include: [nowhere.yaml]\n"));
    expect(missing.stderr).toMatch(/:1:11: cannot read .*nowhere\.yaml \(ENOENT\); include paths are relative to the including file/);
  });

  it("a principal kind outside the vocabulary of buf.gen.yaml", () => {
    write(
      join(work, "vocab/buf.gen.yaml"),
      "version: v2\nplugins:\n  - local: protoc-gen-authz\n    out: gen\n    opt: [principals=user|sandbox]\n",
    );
    write(join(work, "vocab/t.authz-test.yaml"), "principals:\n  bot: { kind: robot }\n");
    const run = runCli(join(work, "vocab"), "test", image, "t.authz-test.yaml");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /t\.authz-test\.yaml:2:16: principal "bot": kind "robot" is not in the vocabulary \(use one of user, sandbox/,
    );
  });

  it("reads undeclared= and exclude_types from buf.gen.yaml, as buf generate applies them", () => {
    const dir = join(work, "config");
    const img = policyImage(dir, "service Bare { rpc A(Req) returns (Req); }\nservice Hidden { rpc H(Req) returns (Req); }");
    write(
      join(dir, "buf.gen.yaml"),
      "version: v2\nplugins:\n  - local: protoc-gen-authz\n    out: gen\n    exclude_types: [check.v1.Hidden]\n    opt: [undeclared=deny]\n",
    );
    write(join(dir, "ok.authz-test.yaml"), "tests:\n  - rpc: check.v1.Bare/A\n    expect: { anonymous: PERMISSION_DENIED }\n");
    expect(runCli(dir, "test", img, "ok.authz-test.yaml")).toMatchObject({ code: 0 });
    write(join(dir, "hidden.authz-test.yaml"), "tests:\n  - rpc: check.v1.Hidden/H\n    expect: { anonymous: PERMISSION_DENIED }\n");
    const hidden = runCli(dir, "test", img, "hidden.authz-test.yaml");
    expect(hidden.code).toBe(2);
    expect(hidden.stderr).toMatch(
      /hidden\.authz-test\.yaml:2:10: check\.v1\.Hidden\/H is left out of protoc-gen-authz's input by types\/exclude_types/,
    );
    // Without buf.gen.yaml, the same RPC has no rule: the input is refused.
    expect(runCli(dir, "test", img, "ok.authz-test.yaml", "--buf-gen-yaml", "").stderr).toMatch(/check\.v1\.Bare\.A: no rule/);
  });

  it("relations used without schema", () => {
    const dir = join(work, "rel");
    const img = policyImage(
      dir,
      `service Docs { rpc Get(Req) returns (Req) { option (protoauthz.v1.rule) = { authenticated: { relations: { resource_type: "sandbox" id_field: "sandbox_id" permission: "view" } } }; } }`,
    );
    write(join(dir, "t.authz-test.yaml"), "tests:\n  - rpc: check.v1.Docs/Get\n    expect: { anonymous: UNAUTHENTICATED }\n");
    const run = runCli(dir, "test", img, "t.authz-test.yaml");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /t\.authz-test\.yaml:2:10: check\.v1\.Docs\/Get asks relations \(sandbox#view\), and this file has no schema/,
    );
  });

  it("an input generation refuses is exit 2 at the proto's line", () => {
    const dir = join(work, "norule");
    const img = policyImage(dir, "service Bare { rpc A(Req) returns (Req); }");
    write(join(dir, "t.authz-test.yaml"), "tests: []\n");
    const run = runCli(dir, "test", img, "t.authz-test.yaml");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/check\/v1\/api\.proto:5:\d+: check\.v1\.Bare\.A: no rule/);
  });
});
