// `check --against` and `report` on any_of alternatives and relations, over
// real buf images through the CLI binary.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bufBin, repoRoot } from "../support/request.js";

const bin = join(repoRoot, "plugin/bin/protoc-gen-authz");
const work = mkdtempSync(join(tmpdir(), "protoauthz-check-rel-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let images = 0;

/** An image of one RPC `A` with the given rule. */
function image(rule: string): string {
  const dir = join(work, `img-${++images}`);
  mkdirSync(join(dir, "check/v1"), { recursive: true });
  cpSync(join(repoRoot, "proto/protoauthz"), join(dir, "protoauthz"), { recursive: true });
  writeFileSync(
    join(dir, "check/v1/api.proto"),
    `syntax = "proto3";\npackage check.v1;\nimport "protoauthz/v1/authz.proto";\nmessage Req { string workspace_id = 1; }\nservice Api {\n  rpc A(Req) returns (Req) { option (protoauthz.v1.rule) = ${rule}; }\n}\n`,
  );
  const out = join(dir, "image.binpb");
  const build = spawnSync(bufBin, ["build", dir, "-o", out], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(build.stderr);
  return out;
}

const cli = (...args: string[]) => {
  const run = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
};

const member = `{ resource_type: "workspace" id_field: "workspace_id" permission: "member" }`;
const admin = `{ resource_type: "workspace" id_field: "workspace_id" permission: "admin" }`;
const owner = `{ principals: "user" relations: ${member} }`;
const byRole = `{ roles: "admin" }`;
const byKind = `{ principals: "service" }`;

describe("check --against, relations and alternatives", () => {
  it.each([
    [
      "a relation dropped",
      `{ authenticated: { relations: [${member}, ${admin}] } }`,
      `{ authenticated: { relations: ${member} } }`,
      /relations no longer required: "workspace#admin\(workspace_id\)"/,
    ],
    [
      "an alternative added",
      `{ any_of: { alternatives: [${owner}, ${byRole}] } }`,
      `{ any_of: { alternatives: [${owner}, ${byRole}, ${byKind}] } }`,
      /alternative added: \{ principals "service" \}/,
    ],
    [
      "authenticated → any_of",
      `{ authenticated: ${owner} }`,
      `{ any_of: { alternatives: [${owner}, ${byRole}] } }`,
      /authenticated → any_of/,
    ],
  ])("%s loosens, and fails until acknowledged", (_name, before, after, message) => {
    const run = cli("check", image(after), "--against", image(before));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`LOOSENS: /check\\.v1\\.Api/A: ${message.source}`));
  });

  it.each([
    ["a relation added", `{ authenticated: { relations: ${member} } }`, `{ authenticated: { relations: [${member}, ${admin}] } }`],
    [
      "an alternative removed",
      `{ any_of: { alternatives: [${owner}, ${byRole}, ${byKind}] } }`,
      `{ any_of: { alternatives: [${owner}, ${byRole}] } }`,
    ],
    ["any_of → authenticated", `{ any_of: { alternatives: [${owner}, ${byRole}] } }`, `{ authenticated: ${owner} }`],
  ])("%s tightens: reported, not failed", (_name, before, after) => {
    const run = cli("check", image(after), "--against", image(before));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^check\/v1\/api\.proto:\d+:\d+: tightens\/changes: \/check\.v1\.Api\/A: /m);
  });

  it("report shows each alternative and relation", () => {
    const run = cli("report", image(`{ any_of: { alternatives: [${owner}, ${byRole}] } }`));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("| `/check.v1.Api/A` | any of: |");
    expect(run.stdout).toContain("| ↳ | alternative 1 | `user` |  |  |  | `workspace#member(workspace_id)` |  |  |");
    expect(run.stdout).toContain("| ↳ | or alternative 2 | any |  | `admin` |  |  |  |  |");
  });
});
