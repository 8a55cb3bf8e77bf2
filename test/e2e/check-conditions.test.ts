// `check --against` and `report` on conditions, over real buf images through
// the CLI binary: an added condition tightens; a removed or changed one
// loosens and fails until acknowledged, at the rule's line.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bufBin, repoRoot } from "../support/request.js";

const bin = join(repoRoot, "plugin/bin/protoc-gen-authz");
const work = mkdtempSync(join(tmpdir(), "protoauthz-check-cond-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let images = 0;

/** An image of one RPC `A` with the given rule. */
function image(rule: string): string {
  const dir = join(work, `img-${++images}`);
  mkdirSync(join(dir, "check/v1"), { recursive: true });
  cpSync(join(repoRoot, "proto/protoauthz"), join(dir, "protoauthz"), { recursive: true });
  writeFileSync(
    join(dir, "check/v1/api.proto"),
    `syntax = "proto3";\npackage check.v1;\nimport "protoauthz/v1/authz.proto";\nmessage Req { int32 page_size = 1; bool force = 2; }\nservice Api {\n  rpc A(Req) returns (Req) { option (protoauthz.v1.rule) = ${rule}; }\n}\n`,
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

const limit = `"request.page_size <= 100"`;
const looser = `"request.page_size <= 1000"`;
const flag = `"!request.force || 'admin' in principal.roles"`;

describe("check --against, conditions", () => {
  it.each([
    ["a condition removed", `{ authenticated: { conditions: [${limit}, ${flag}] } }`, `{ authenticated: { conditions: ${limit} } }`],
    ["a condition changed", `{ authenticated: { conditions: ${limit} } }`, `{ authenticated: { conditions: ${looser} } }`],
    [
      "a condition removed from an alternative",
      `{ any_of: { alternatives: [{ roles: "admin" }, { principals: "user" conditions: ${limit} }] } }`,
      `{ any_of: { alternatives: [{ roles: "admin" }, { principals: "user" }] } }`,
    ],
  ])("%s loosens: fails at the rule's line until acknowledged", (_name, before, after) => {
    const run = cli("check", image(after), "--against", image(before));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^check\/v1\/api\.proto:6:\d+: LOOSENS: \/check\.v1\.Api\/A: /m);
  });

  it("names the condition no longer required", () => {
    const run = cli(
      "check",
      image(`{ authenticated: { conditions: ${looser} } }`),
      "--against",
      image(`{ authenticated: { conditions: ${limit} } }`),
    );
    expect(run.stdout).toContain('LOOSENS: /check.v1.Api/A: conditions no longer required: "request.page_size <= 100"');
    expect(run.stdout).toContain('conditions now required: "request.page_size <= 1000"');
  });

  it("an added condition tightens: reported, not failed", () => {
    const run = cli(
      "check",
      image(`{ authenticated: { conditions: [${limit}, ${flag}] } }`),
      "--against",
      image(`{ authenticated: { conditions: ${limit} } }`),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^check\/v1\/api\.proto:6:\d+: tightens\/changes: \/check\.v1\.Api\/A: conditions now required: /m);
  });

  it("report shows each condition in its own column", () => {
    const run = cli("report", image(`{ authenticated: { conditions: [${limit}, ${flag}] } }`));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("| conditions (all) |");
    expect(run.stdout).toContain("`!request.force \\|\\| 'admin' in principal.roles`, `request.page_size <= 100`");
  });

  it("a condition that does not type-check fails check with its caret", () => {
    const run = cli("check", image(`{ authenticated: { conditions: "request.page_sise <= 100" } }`));
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toContain("check.v1.Req has no field page_sise");
  });
});
