// `protoc-gen-authz test` through its binary: failures as GitHub annotations and
// JSON, hostile names rendered harmless in every format, and `check --tests`.
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/check-cli.js";
import { apiLine, fullSuite, policyTestScratch, principals } from "../support/policy-test.js";

const { work, image, testFile, cli, remove } = policyTestScratch("policy-test");
afterAll(remove);

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
