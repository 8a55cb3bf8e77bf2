// `protoc-gen-authz test --coverage` / `--require-coverage` through its binary:
// each gap at the proto line of its RPC, and the gate that fails on any gap.
import { afterAll, describe, expect, it } from "vitest";
import { apiLine, fullSuite, policyTestScratch, principals } from "../support/policy-test.js";

const { testFile, cli, remove } = policyTestScratch("policy-test");
afterAll(remove);

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
