// Runs the protoc-gen-authz binary as CI does, and builds small buf images.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bufBin, repoRoot } from "./request.js";

export const cliBin = join(repoRoot, "plugin/bin/protoc-gen-authz");
export const binPath = `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH}`;

/** A scratch folder outside the repository (so no buf.gen.yaml or git is picked up by accident). */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `protoauthz-${prefix}-`));
}

/** The CLI, run in `cwd`, with buf on PATH. */
export function runCli(cwd: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [cliBin, ...args], { cwd, encoding: "utf8", env: { ...process.env, PATH: binPath } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A folder with the schema and one proto file (package check.v1, message Req). */
export function protoDir(dir: string, body: string): string {
  mkdirSync(join(dir, "check/v1"), { recursive: true });
  cpSync(join(repoRoot, "proto/protoauthz"), join(dir, "protoauthz"), { recursive: true });
  writeFileSync(
    join(dir, "check/v1/api.proto"),
    `syntax = "proto3";\npackage check.v1;\nimport "protoauthz/v1/authz.proto";\nmessage Req { string sandbox_id = 1; }\n${body}\n`,
  );
  return dir;
}

/** buf build of a folder into an image file; extra buf arguments (e.g. --exclude-imports). */
export function buildImage(dir: string, out: string, ...extra: string[]): string {
  const build = spawnSync(bufBin, ["build", dir, "-o", out, ...extra], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(build.stderr);
  return out;
}

export const svc = (rpcs: string, defaultRule = "") =>
  `service Api {\n${defaultRule ? `  option (protoauthz.v1.default_rule) = ${defaultRule};\n` : ""}${rpcs}\n}`;
export const rpc = (name: string, rule?: string) =>
  `  rpc ${name}(Req) returns (Req)${rule ? ` { option (protoauthz.v1.rule) = ${rule}; }` : ";"}`;
