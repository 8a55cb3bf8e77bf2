// The examples' policy tests, run as their READMEs and the CI workflow run
// them; the workspaces tests ask an embedded SpiceDB. Then mutation testing:
// every way of weakening a rule of the gateway's proto is caught by its tests.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, runCli, scratch } from "../support/check-cli.js";
import { write } from "../support/policy-test.js";
import { repoRoot } from "../support/request.js";

const work = scratch("policy-examples");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const gatewayTests = "examples/sandbox-gateway/authz/*.authz-test.yaml";
const workspacesTests = "examples/workspaces/authz/workspaces.authz-test.yaml";
const workspacesConfig = ["--buf-gen-yaml", "examples/workspaces/buf.gen.yaml"];

describe("the examples' policy tests", () => {
  it("examples/sandbox-gateway: every case passes and nothing is uncovered", () => {
    const run = runCli(repoRoot, "test", "examples/sandbox-gateway/proto", gatewayTests, "--require-coverage");
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/protoauthz test: (\d+) cases in 2 files, \1 passed, 0 failed, 0 coverage gaps\n$/);
    expect(run.code).toBe(0);
  });

  it("examples/workspaces: relations on the embedded SpiceDB, every relation seen held and not held", () => {
    const run = runCli(repoRoot, "test", "examples/workspaces/proto", workspacesTests, ...workspacesConfig, "--require-coverage");
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/(\d+) cases in 1 file, \1 passed, 0 failed, 0 coverage gaps\n$/);
    expect(run.code).toBe(0);
  });

  it("a relation the relationships do not grant fails with relation_denied and the relation", () => {
    const original = readFileSync(join(repoRoot, workspacesTests), "utf8");
    const file = write(
      join(work, "denied.authz-test.yaml"),
      original
        .replace("schema: ../schema.zed", `schema: ${join(repoRoot, "examples/workspaces/schema.zed")}`)
        .replace("  workspace:acme#member@user:alice\n", ""),
    );
    const run = runCli(repoRoot, "test", "examples/workspaces/proto", file, ...workspacesConfig, "--coverage");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /denied\.authz-test\.yaml:\d+:\d+: FAIL workspaces\.v1\.WorkspaceService\/ListSandboxes as alice: expected ALLOW, got PERMISSION_DENIED \(relation_denied, (any_of alternative 1, )?relation workspace#use\); rule at examples\/workspaces\/proto\/workspaces\/v1\/workspaces\.proto:\d+/,
    );
    expect(run.stdout).toMatch(/ExecSandbox as alice: expected ALLOW, got PERMISSION_DENIED \(relation_denied, relation sandbox#exec\)/);
  });

  it("a schema that lacks a relation the rules ask is exit 2 at the schema line", () => {
    const dir = join(work, "schema");
    write(
      join(dir, "schema.zed"),
      "definition user {}\ndefinition workspace {\n    relation member: user\n    permission use = member\n}\n",
    );
    const file = write(
      join(dir, "t.authz-test.yaml"),
      `principals:\n  alice: { kind: user }\nschema: schema.zed\nrelationships: |\n  workspace:acme#member@user:alice\ntests:\n  - rpc: workspaces.v1.WorkspaceService/ListSandboxes\n    request: { workspaceId: acme }\n    expect: { alice: ALLOW }\n`,
    );
    const run = runCli(repoRoot, "test", "examples/workspaces/proto", file, ...workspacesConfig);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/t\.authz-test\.yaml:3:9: the schema cannot answer the relations the rules ask: .*sandbox/);
  });
});

/** Each way of weakening one rule of the gateway (the proto text before and after). */
const weakenings: [string, string, string][] = [
  ["CreateSandbox without its scope", 'scopes: "sandboxes.write"', ""],
  ["DeleteSandbox without its role", 'roles: "admin"', ""],
  ["PurgeSandbox made public", 'deny: {reason: "retired in v1.4; use DeleteSandbox"}', 'public: {reason: "x"}'],
  // The first of two identical lines: GetPolicy's (IssueSandboxToken's comes later).
  ["GetPolicy without its binding", 'bindings: {field: "sandbox_id" attribute: "sandbox_id"}', ""],
  ["IssueSandboxToken open to sandboxes too", 'principals: "workload"', 'principals: "workload" principals: "sandbox"'],
  ["PushLogs without its binding", 'bindings: {field: "source.sandbox_id" attribute: "sandbox_id"}', ""],
  ["the service default open to any kind", 'authenticated: {principals: "user"}\n  };', "authenticated: {}\n  };"],
  ["GetPolicy open to any kind", 'principals: "sandbox"\n        bindings: {field: "sandbox_id"', 'bindings: {field: "sandbox_id"'],
];

describe("mutation: the gateway's tests catch every weakened rule", () => {
  const proto = readFileSync(join(repoRoot, "examples/sandbox-gateway/proto/sandboxgw/v1/gateway.proto"), "utf8");
  it.each(weakenings)("%s", (_, before, after) => {
    expect(proto).toContain(before);
    const dir = join(work, `mutant-${weakenings.findIndex((w) => w[1] === before)}`);
    write(join(dir, "sandboxgw/v1/gateway.proto"), proto.replace(before, after));
    write(join(dir, "protoauthz/v1/authz.proto"), readFileSync(join(repoRoot, "proto/protoauthz/v1/authz.proto"), "utf8"));
    const image = buildImage(dir, join(dir, "image.binpb"));
    const run = runCli(repoRoot, "test", image, gatewayTests);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL sandboxgw\.v1\.\w+\/\w+ as \w+: expected (PERMISSION_DENIED|UNAUTHENTICATED), got ALLOW \(/);
  });
});
