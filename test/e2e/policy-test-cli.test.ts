// `protoc-gen-authz test` through its binary, as CI runs it: passing files,
// each failure kind, each test-file mistake at its line, coverage, streams,
// the output formats, and `check --tests`.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, scratch } from "../support/check-cli.js";
import { apiLine, fullSuite, policyImage, principals, write } from "../support/policy-test.js";

const work = scratch("policy-test");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const image = policyImage(join(work, "api"));
let files = 0;

/** Writes a test file into the scratch folder and returns its name there. */
function testFile(text: string, name = `t${++files}.authz-test.yaml`): string {
  write(join(work, name), text);
  return name;
}

const cli = (...args: string[]) => runCli(work, "test", image, ...args);

describe("protoc-gen-authz test: cases", () => {
  it("passes a file whose every case holds, and covers every part of every rule", () => {
    const run = cli(testFile(fullSuite), "--require-coverage");
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/protoauthz test: 12 cases in 1 file, 12 passed, 0 failed, 0 coverage gaps\n$/);
  });

  it("fails a case with the test line, RPC, principal, expected and actual outcome, audit reason and the rule's proto line", () => {
    const file = testFile(`${principals}tests:
  - rpc: check.v1.Api/Read
    expect:
      sb1: ALLOW
      reader: UNAUTHENTICATED
  - rpc: check.v1.Api/Own
    request: { sandboxId: sb-1 }
    expect: { sb2: ALLOW }
  - rpc: check.v1.Api/Either
    request: { sandboxId: sb-1 }
    expect: { sb2: ALLOW }
`);
    const run = cli(file);
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe(
      `${file}:9:7: FAIL check.v1.Api/Read as sb1: expected ALLOW, got PERMISSION_DENIED (kind_not_allowed); rule at check/v1/api.proto:${apiLine.Read}`,
    );
    expect(lines[1]).toBe(
      `${file}:10:7: FAIL check.v1.Api/Read as reader: expected UNAUTHENTICATED, got ALLOW (authorized); rule at check/v1/api.proto:${apiLine.Read}`,
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${file}:13:15: FAIL check.v1.Api/Own as sb2: expected ALLOW, got PERMISSION_DENIED \\(binding_mismatch\\)`),
    );
    expect(lines[3]).toMatch(/FAIL check\.v1\.Api\/Either as sb2: .*\(binding_mismatch, any_of alternative 2\)/);
    expect(run.stdout).toMatch(/protoauthz test: 4 cases in 1 file, 0 passed, 4 failed\n$/);
  });

  it("decides a client stream as a whole, pinned to its first message's binding, and an empty stream as the guard does", () => {
    const file = testFile(`${principals}tests:
  - rpc: check.v1.Api/Push
    stream: [{ sandboxId: sb-1 }, { sandboxId: sb-2 }]
    expect: { sb1: ALLOW }
  - rpc: check.v1.Api/Push
    stream: []
    expect: { sb1: ALLOW }
  - rpc: check.v1.Api/Push
    request: { sandboxId: sb-1 }
    expect: { sb1: ALLOW }
`);
    const run = cli(file);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /:9:15: FAIL check\.v1\.Api\/Push as sb1: expected ALLOW, got PERMISSION_DENIED \(binding_changed, stream message 2\)/,
    );
    expect(run.stdout).toMatch(/:12:15: FAIL check\.v1\.Api\/Push as sb1: expected ALLOW, got PERMISSION_DENIED \(message_missing\)/);
    expect(run.stdout).toMatch(/3 cases in 1 file, 1 passed, 2 failed/);
  });

  it("shares principals and requests through include, relative to the including file", () => {
    write(join(work, "shared/common.authz-test.yaml"), `${principals}requests:\n  one: { sandboxId: sb-1 }\n`);
    const file = testFile(`include: [shared/common.authz-test.yaml]
tests:
  - rpc: check.v1.Api/Own
    request: one
    expect: { sb1: ALLOW, sb2: PERMISSION_DENIED }
`);
    expect(cli(file)).toMatchObject({ code: 0 });
  });

  it("finds test files by glob, and refuses a glob that matches nothing", () => {
    write(join(work, "glob/a/x.authz-test.yaml"), `${principals}tests:\n  - rpc: check.v1.Api/Health\n    expect: { anonymous: ALLOW }\n`);
    write(join(work, "glob/b/c/y.authz-test.yaml"), `tests:\n  - rpc: check.v1.Api/Gone\n    expect: { anonymous: PERMISSION_DENIED }\n`);
    expect(cli("glob/**/*.authz-test.yaml").stdout).toMatch(/2 cases in 2 files, 2 passed/);
    const none = cli("nothing/**/*.authz-test.yaml");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing\/\*\*\/\*\.authz-test\.yaml: no test file matches/);
  });
});

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

describe("protoc-gen-authz test: coverage", () => {
  const partial = `${principals}tests:
  - rpc: check.v1.Api/Read
    expect: { reader: ALLOW }
  - rpc: check.v1.Api/Either
    request: { sandboxId: sb-1 }
    expect: { admin: ALLOW, sb2: PERMISSION_DENIED, reader: PERMISSION_DENIED }
`;

  it("--coverage lists each RPC's outcomes and every gap at the RPC's proto line, without failing", () => {
    const run = cli(testFile(partial), "--coverage");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  check.v1.Api\n    Read [authenticated] ALLOW — 1 gap\n    Own [authenticated] (no test) — 1 gap\n");
    const gap = (rpc: keyof typeof apiLine, text: string) => `check/v1/api.proto:${apiLine[rpc]}:3: check.v1.Api/${rpc}: ${text}`;
    expect(run.stdout).toContain(gap("Read", "no test sees it denied"));
    expect(run.stdout).toContain(gap("Own", "no test (add a test"));
    expect(run.stdout).toContain(gap("Either", "any_of alternative 2: never admitted a caller"));
    expect(run.stdout).not.toContain("binding sandbox_id = sandbox_id never seen mismatched");
    expect(run.stdout).toContain(gap("Gone", "no test"));
  });

  it("--require-coverage fails on any gap (exit 1) and passes once none is left", () => {
    const run = cli(testFile(partial), "--require-coverage", "--format", "github");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error file=check/v1/api.proto,line=${apiLine.Own},col=3,title=protoauthz coverage gap::check.v1.Api/Own: no test (add a test`,
    );
    expect(cli(testFile(fullSuite), "--require-coverage").code).toBe(0);
  });

  it("a binding never seen mismatched is a gap", () => {
    const run = cli(
      testFile(
        `${principals}tests:\n  - rpc: check.v1.Api/Own\n    request: { sandboxId: sb-1 }\n    expect: { sb1: ALLOW, reader: PERMISSION_DENIED }\n`,
      ),
      "--coverage",
    );
    expect(run.stdout).toContain(`check.v1.Api/Own: binding sandbox_id = sandbox_id never seen mismatched`);
  });
});

describe("protoc-gen-authz test: formats and the gate", () => {
  const failing = `${principals}tests:\n  - rpc: check.v1.Api/Read\n    expect: { sb1: ALLOW }\n`;

  it("--format github puts each failure on its test file line; --format json lists them", () => {
    const file = testFile(failing);
    const github = cli(file, "--format", "github");
    expect(github.code).toBe(1);
    expect(github.stdout.split("\n")[0]).toBe(
      `::error file=${file},line=8,col=15,title=protoauthz test failed::check.v1.Api/Read as sb1: expected ALLOW, got PERMISSION_DENIED (kind_not_allowed); rule at check/v1/api.proto:${apiLine.Read}`,
    );
    const json = JSON.parse(cli(file, "--format", "json").stdout);
    expect(json).toMatchObject({
      ok: false,
      cases: 1,
      passed: 0,
      failures: [
        {
          file,
          line: 8,
          column: 15,
          rpc: "/check.v1.Api/Read",
          principal: "sb1",
          expected: "ALLOW",
          actual: "PERMISSION_DENIED",
          reason: "kind_not_allowed",
          rule: { file: "check/v1/api.proto", line: apiLine.Read },
        },
      ],
    });
  });

  it("a hostile principal name cannot start a line, a workflow command or a terminal control in any format", () => {
    const file = testFile(
      `principals:\n  "evil\\n::error file=x::owned\\u202e": { kind: user }\ntests:\n  - rpc: check.v1.Api/Gone\n    expect: { "evil\\n::error file=x::owned\\u202e": ALLOW }\n`,
    );
    for (const format of ["text", "github"]) {
      const run = cli(file, "--format", format);
      expect(run.code).toBe(1);
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines.some((l) => l.startsWith("::error file=x"))).toBe(false);
      expect(run.stdout).not.toContain("\u202e");
      expect(run.stdout).toContain("evil\\u000a::error file=x::owned\\u202e");
    }
    const json = cli(file, "--format", "json");
    expect(json.stdout).not.toContain("\u202e");
    expect(JSON.parse(json.stdout).failures[0].principal).toBe("evil\n::error file=x::owned\u202e");
  });

  it("check --tests runs the tests in the same gate", () => {
    const ok = runCli(work, "check", image, "--tests", testFile(fullSuite));
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/protoauthz check: ok\nprotoauthz test: 12 cases in 1 file, 12 passed, 0 failed\n/);
    const bad = runCli(work, "check", image, "--tests", testFile(failing));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL check\.v1\.Api\/Read as sb1/);
    expect(runCli(work, "check", image, "--tests", "none/*.authz-test.yaml").code).toBe(2);
    const json = JSON.parse(runCli(work, "check", image, "--tests", testFile(failing), "--format", "json").stdout);
    expect(json).toMatchObject({ ok: false, problems: [], tests: { ok: false, cases: 1, failures: [{ principal: "sb1" }] } });
  });
});
