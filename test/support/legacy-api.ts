// The legacy API of the migration tests: 200 RPCs without a rule, and buf
// workspaces that generate it with the real plugins.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./request.js";

const pluginBin = join(repoRoot, "plugin/bin/protoc-gen-authz");
const esBin = join(repoRoot, "node_modules/.bin/protoc-gen-es");

export const undeclared = Array.from({ length: 198 }, (_, i) => `M${String(i).padStart(3, "0")}`);

/** The legacy API: 200 RPCs without a rule (two of them streams), and one already declared. */
export function legacyProto(declare: Record<string, string> = {}): string {
  const rpc = (name: string, signature: string) =>
    `  rpc ${name}${signature}${declare[name] ? ` { option (protoauthz.v1.rule) = ${declare[name]}; }` : ";"}`;
  return [
    'syntax = "proto3";',
    "package legacy.v1;",
    'import "protoauthz/v1/authz.proto";',
    "message Req { string text = 1; }",
    "service LegacyService {",
    ...undeclared.map((name) => rpc(name, "(Req) returns (Req)")),
    rpc("Watch", "(Req) returns (stream Req)"),
    rpc("Upload", "(stream Req) returns (Req)"),
    '  rpc Declared(Req) returns (Req) { option (protoauthz.v1.rule) = { authenticated: { principals: "user" } }; }',
    "}",
    "",
  ].join("\n");
}

/**
 * Buf workspaces in a fresh directory inside the repo (so the generated
 * modules resolve protoauthz and @bufbuild/protobuf); `remove` deletes it.
 */
export function legacyWorkspaces(): { workspace(name: string, proto: string, opt: string): string; remove(): void } {
  const work = mkdtempSync(join(repoRoot, "test/.work-migration-"));
  /** A buf workspace holding the legacy API; returns its directory. */
  const workspace = (name: string, proto: string, opt: string): string => {
    const dir = join(work, name);
    mkdirSync(join(dir, "proto/legacy/v1"), { recursive: true });
    writeFileSync(join(dir, "proto/legacy/v1/legacy.proto"), proto);
    spawnSync("cp", ["-r", join(repoRoot, "proto/protoauthz"), join(dir, "proto/protoauthz")]);
    writeFileSync(join(dir, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n");
    writeFileSync(
      join(dir, "buf.gen.yaml"),
      [
        "version: v2",
        "inputs:",
        "  - directory: proto",
        "    paths: [proto/legacy]",
        "plugins:",
        `  - local: ${JSON.stringify(esBin)}`,
        "    out: gen",
        '    opt: [target=ts, import_extension=js, "rewrite_imports=./protoauthz/**/*_pb.js:protoauthz"]',
        `  - local: ["node", ${JSON.stringify(pluginBin)}]`,
        "    out: gen",
        "    strategy: all",
        `    opt: [${opt}]`,
        "",
      ].join("\n"),
    );
    return dir;
  };

  return { workspace, remove: () => rmSync(work, { recursive: true, force: true }) };
}
