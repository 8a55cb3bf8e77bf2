// Generated tables compile under strict settings together with protoc-gen-es
// output, and the compiler catches a table that drifts from its service.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateDir, runEs } from "./support/generate.js";
import { typecheck } from "./support/typecheck.js";

const goldenDir = join(import.meta.dirname, "golden");
const happyCases = readdirSync(goldenDir).filter((c) => !c.startsWith("error-"));

function generateWithEs(name: string) {
  const caseDir = join(goldenDir, name);
  const paramsFile = join(caseDir, "params.txt");
  const params = existsSync(paramsFile) ? readFileSync(paramsFile, "utf8").trim() : "target=ts,import_extension=js";
  const result = generateDir(join(caseDir, "input"), params);
  expect(result.error).toBeUndefined();
  return new Map([...runEs(result.request), ...result.files]);
}

describe("generated code type-checks", () => {
  for (const name of happyCases) {
    it(name, () => {
      expect(typecheck(generateWithEs(name), name)).toEqual([]);
    });
  }
});

describe("the compiler rejects a broken table", () => {
  const files = generateWithEs("streaming-kinds");
  const table = "stream/v1/stream_authz.ts";
  const original = files.get(table) ?? "";

  function breakWith(from: string | RegExp, to: string): string[] {
    const broken = original.replace(from, to);
    expect(broken).not.toBe(original);
    return typecheck(new Map([...files, [table, broken]]), "broken");
  }

  it("a missing method", () => {
    const errors = breakWith(/ {2}\/\*\*\n {3}\* Bidi:[\s\S]*?\n {2}\},\n/, "");
    expect(errors.join("\n")).toMatch(/bidi/);
  });

  it("a method the service does not have", () => {
    const errors = breakWith("  unary: {", '  unary: { access: "public", source: "method", reason: "x" },\n  unaryy: {');
    expect(errors.join("\n")).toMatch(/unaryy/);
  });

  it("a binding accessor reading a field its request does not have", () => {
    const errors = breakWith("read: (request) => request.tenant", "read: (request) => request.tenantId");
    expect(errors.join("\n")).toMatch(/tenantId/);
  });

  it("a binding accessor typed for another message", () => {
    const errors = breakWith("read: (request) => request.tenant", 'read: (request: { $typeName: "stream.v1.Reply" }) => request.$typeName');
    expect(errors.length).toBeGreaterThan(0);
  });

  it("an access that does not exist", () => {
    const errors = breakWith('access: "authenticated"', 'access: "maybe"');
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe("any_of and relations", () => {
  const files = generateWithEs("any-of-relations");
  const table = "ws/v1/ws_authz.ts";
  const original = files.get(table) ?? "";

  function check(extra: string): string[] {
    return typecheck(new Map([...files, ["usage.ts", extra]]), "any-of-usage");
  }

  it("principalOf an any_of method is the union of its alternatives' principals", () => {
    const usage = [
      'import type { HandlerContext } from "@connectrpc/connect";',
      'import { principalOf } from "./authz_registry.js";',
      'import { WorkspaceServiceAuthz } from "./ws/v1/ws_authz.js";',
      "export function kinds(ctx: HandlerContext) {",
      '  const p = principalOf(ctx, WorkspaceServiceAuthz, "updateSandbox");',
      '  const kind: "sandbox" | "user" = p.kind;',
      '  const relation: "user" = principalOf(ctx, WorkspaceServiceAuthz, "listSandboxes").kind;',
      "  return [kind, relation];",
      "}",
    ].join("\n");
    expect(check(usage)).toEqual([]);
    const narrower = usage.replace('const kind: "sandbox" | "user" = p.kind;', 'const kind: "user" = p.kind;');
    expect(check(narrower).join("\n")).toMatch(/"sandbox"/);
  });

  it("a relation accessor reading a field its request does not have", () => {
    const broken = original.replace("read: (request) => request.workspaceId", "read: (request) => request.workspace");
    expect(broken).not.toBe(original);
    expect(typecheck(new Map([...files, [table, broken]]), "broken-relation").join("\n")).toMatch(/workspace/);
  });

  it("an alternative's accessor is typed by the method's request", () => {
    const broken = original.replace("read: (request) => request.target?.sandboxId }", "read: (request) => request.sandboxId }");
    expect(broken).not.toBe(original);
    expect(typecheck(new Map([...files, [table, broken]]), "broken-alternative").join("\n")).toMatch(/sandboxId/);
  });

  it("a relation without its resource type", () => {
    const broken = original.replace('{ resourceType: "workspace", idField: "workspace_id", ', '{ idField: "workspace_id", ');
    expect(broken).not.toBe(original);
    expect(typecheck(new Map([...files, [table, broken]]), "broken-relation-shape").join("\n")).toMatch(/resourceType/);
  });
});
