// The JSON manifest (plugin option manifest=<file>): valid against the JSON
// Schema the package ships, and holding exactly what `protoc-gen-authz report`
// shows for the same protos (the CLI binary, run as CI runs it).
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { runCli, scratch } from "../support/check-cli.js";
import { generateDir } from "../support/generate.js";
import { repoRoot } from "../support/request.js";

interface Alternative {
  kinds: string[];
  scopes: string[];
  roles: string[];
  bindings: { field: string; attribute: string }[];
  relations: { resourceType: string; idField: string; permission: string }[];
  conditions: string[];
}
interface Rpc {
  procedure: string;
  access: string;
  reason: string;
  source: string;
  alternatives: Alternative[];
  location: { file: string; line: number | null; column: number | null };
}

const schema = JSON.parse(readFileSync(join(repoRoot, "plugin/manifest.schema.json"), "utf8"));
const inputs = ["examples/sandbox-gateway/proto", "test/proto/relationstest", "test/proto/guardtest"];

/** The protos of `dir` in a scratch folder of their own (buf builds a module's subfolder only from the module). */
function copyOf(dir: string): string {
  const copy = scratch("manifest");
  cpSync(join(repoRoot, dir), copy, { recursive: true });
  cpSync(join(repoRoot, "proto/protoauthz"), join(copy, "protoauthz"), { recursive: true });
  return copy;
}

function manifestOf(dir: string): { rpcs: Rpc[] } {
  const generated = generateDir(dir, "target=ts,registry=,manifest=api/authz.manifest.json");
  expect(generated.error).toBeUndefined();
  return JSON.parse(generated.files.get("api/authz.manifest.json") ?? "null");
}

/** A manifest entry in the shape of a report row (flat lists, sorted, as report writes them). */
function asReportRow(rpc: Rpc) {
  const flat = (a: Alternative | undefined) => ({
    principals: [...(a?.kinds ?? [])].sort(),
    scopes: [...(a?.scopes ?? [])].sort(),
    roles: [...(a?.roles ?? [])].sort(),
    bindings: (a?.bindings ?? []).map((b) => `${b.field}=${b.attribute}`).sort(),
    relations: (a?.relations ?? []).map((r) => `${r.resourceType}#${r.permission}(${r.idField})`).sort(),
    conditions: [...(a?.conditions ?? [])].sort(),
  });
  const { file, line, column } = rpc.location;
  return {
    procedure: rpc.procedure,
    access: rpc.access,
    ...flat(rpc.access === "authenticated" ? rpc.alternatives[0] : undefined),
    alternatives: rpc.access === "any_of" ? rpc.alternatives.map(flat) : [],
    reason: rpc.reason,
    source: rpc.source,
    location: `${file}${line === null ? "" : `:${line}:${column}`}`,
  };
}

describe("manifest=<file>", () => {
  it.each(inputs)("%s: valid against the shipped schema, and equal to what report shows", (input) => {
    const dir = copyOf(input);
    const manifest = manifestOf(dir);
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    const report = runCli(dir, "report", ".", "--format", "json");
    expect(report.stderr).toBe("");
    expect(report.code).toBe(0);
    expect(manifest.rpcs.map(asReportRow)).toEqual(JSON.parse(report.stdout));
  });

  it("is structured for clients: alternatives, kinds, idempotency and the rule's place", () => {
    const rpcs = manifestOf(join(repoRoot, "examples/sandbox-gateway/proto")).rpcs;
    const get = rpcs.find((r) => r.procedure === "/sandboxgw.v1.SandboxService/GetSandbox");
    expect(get).toEqual({
      procedure: "/sandboxgw.v1.SandboxService/GetSandbox",
      service: "sandboxgw.v1.SandboxService",
      method: "GetSandbox",
      access: "authenticated",
      reason: "",
      credentialNeeded: true,
      kinds: ["user"],
      alternatives: [{ kinds: ["user"], scopes: [], roles: [], bindings: [], relations: [], conditions: [] }],
      source: "service_default",
      location: { file: "sandboxgw/v1/gateway.proto", line: 13, column: 10 },
      idempotency: "NO_SIDE_EFFECTS",
    });
  });

  it("refuses a path outside the output directory", () => {
    const generated = generateDir(join(repoRoot, "examples/sandbox-gateway/proto"), "target=ts,manifest=../authz.json");
    expect(generated.error).toContain('option manifest: "../authz.json" leaves the output directory');
  });
});
