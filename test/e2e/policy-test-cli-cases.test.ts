// `protoc-gen-authz test` through its binary, as CI runs it: a passing file,
// each failure kind at its test line, client streams, include and globs.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { apiLine, fullSuite, policyTestScratch, principals, write } from "../support/policy-test.js";

const { work, testFile, cli, remove } = policyTestScratch("policy-test");
afterAll(remove);

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
