// Policy tests (`protoc-gen-authz test`) over a small API with every rule shape.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildImage, protoDir, runCli, scratch } from "./check-cli.js";

/** Line 5 onwards of check/v1/api.proto (protoDir writes 4 lines before it). */
export const policyApi = `message Logs { string sandbox_id = 1; string line = 2; }
service Api {
  rpc Read(Req) returns (Req) { option (protoauthz.v1.rule) = { authenticated: { principals: "user" scopes: "read" } }; }
  rpc Own(Req) returns (Req) { option (protoauthz.v1.rule) = { authenticated: { principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" } } }; }
  rpc Push(stream Logs) returns (Req) { option (protoauthz.v1.rule) = { authenticated: { principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" } } }; }
  rpc Either(Req) returns (Req) { option (protoauthz.v1.rule) = { any_of: { alternatives: [ { roles: "admin" }, { principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" } } ] } }; }
  rpc Gone(Req) returns (Req) { option (protoauthz.v1.rule) = { deny: { reason: "retired" } }; }
  rpc Health(Req) returns (Req) { option (protoauthz.v1.rule) = { public: { reason: "probes" } }; }
}`;

/** The proto line of each RPC of policyApi. */
export const apiLine = { Read: 7, Own: 8, Push: 9, Either: 10, Gone: 11, Health: 12 } as const;

/** Principals used by the test files below. */
export const principals = `principals:
  reader: { kind: user, subject: reader, scopes: [read] }
  admin: { kind: user, subject: root, roles: [admin] }
  sb1: { kind: sandbox, subject: sandbox/sb-1, attributes: { sandbox_id: sb-1 } }
  sb2: { kind: sandbox, subject: sandbox/sb-2, attributes: { sandbox_id: sb-2 } }
`;

/** A test file covering every part of every rule of policyApi. */
export const fullSuite = `${principals}requests:
  one: { sandboxId: sb-1 }
tests:
  - rpc: check.v1.Api/Read
    expect: { reader: ALLOW, sb1: PERMISSION_DENIED, anonymous: UNAUTHENTICATED }
  - rpc: check.v1.Api/Own
    request: one
    expect: { sb1: ALLOW, sb2: PERMISSION_DENIED }
  - rpc: check.v1.Api/Push
    stream: [one, { sandboxId: sb-1, line: more }]
    expect: { sb1: ALLOW, sb2: PERMISSION_DENIED }
  - rpc: check.v1.Api/Either
    request: one
    expect: { admin: ALLOW, sb1: ALLOW, sb2: PERMISSION_DENIED }
  - rpc: check.v1.Api/Gone
    expect: { admin: PERMISSION_DENIED }
  - rpc: check.v1.Api/Health
    expect: { anonymous: ALLOW }
`;

/** Builds policyApi (or another body) into dir/image.binpb. */
export function policyImage(dir: string, body = policyApi): string {
  protoDir(dir, body);
  return buildImage(dir, join(dir, "image.binpb"));
}

/** Writes a file (creating its folder) and returns its path. */
export function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/**
 * A scratch folder holding policyApi's image, where `testFile` writes test
 * files (t1.authz-test.yaml, t2…) and `cli` runs `protoc-gen-authz test` on
 * that image. `remove` deletes the folder.
 */
export function policyTestScratch(prefix: string) {
  const work = scratch(prefix);
  const image = policyImage(join(work, "api"));
  let files = 0;
  return {
    work,
    image,
    /** Writes a test file into the scratch folder and returns its name there. */
    testFile(text: string, name = `t${++files}.authz-test.yaml`): string {
      write(join(work, name), text);
      return name;
    },
    cli: (...args: string[]) => runCli(work, "test", image, ...args),
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
}
