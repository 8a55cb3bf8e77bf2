// Generated tables compile under strict settings together with protoc-gen-es
// output, and the compiler catches a table that drifts from its service.
// Both targets give users the same types: `ts` (whose exports all carry their
// types, so it passes isolatedDeclarations) and `js+dts`.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAuthz, runEs } from "../support/generate.js";
import { buildRequest, repoRoot } from "../support/request.js";
import { type Compiled, compileInputs, requestFrom } from "../support/request-batch.js";
import { exportedTypes, typecheck } from "../support/typecheck.js";

const goldenDir = join(import.meta.dirname, "../golden");
const happyCases = readdirSync(goldenDir).filter((c) => !c.startsWith("error-"));
const targets = ["ts", "js+dts"] as const;
type Target = (typeof targets)[number];
const isolated = { isolatedDeclarations: true, declaration: true };

const inputOf = (name: string) => join(goldenDir, name, "input");
/** Every happy case compiled in a few buf runs, on first use (see request-batch.ts). */
let compiled: Map<string, Compiled> | undefined;

/** A golden case's output with protoc-gen-es's, under its own target or the one given. */
function generateWithEs(name: string, target?: Target) {
  const caseDir = join(goldenDir, name);
  const paramsFile = join(caseDir, "params.txt");
  const params = existsSync(paramsFile) ? readFileSync(paramsFile, "utf8").trim() : "target=ts,import_extension=js";
  compiled ??= compileInputs(happyCases.map(inputOf));
  const request = requestFrom(
    compiled.get(inputOf(name))!,
    target === undefined ? params : params.replace(/target=[^,]*/, `target=${target}`),
  );
  const result = runAuthz(request);
  expect(result.error).toBeUndefined();
  return new Map([...runEs(request), ...result.files]);
}

/** Declaration files that fall back to `any` lose every check; none may. */
function expectNoAny(files: ReadonlyMap<string, string>): void {
  const declarations = [...files].filter(([name]) => name.endsWith(".d.ts"));
  // Comments may say "any"; types may not.
  const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  for (const [name, text] of declarations) expect(code(text), name).not.toMatch(/\bany\b/);
}

describe("generated code type-checks", () => {
  for (const name of happyCases) {
    it(`${name} (target=ts, isolatedDeclarations)`, () => {
      expect(typecheck(generateWithEs(name, "ts"), name, isolated)).toEqual([]);
    });
    it(`${name} (target=js+dts)`, () => {
      const files = generateWithEs(name, "js+dts");
      expectNoAny(files);
      expect(typecheck(files, `${name}-dts`)).toEqual([]);
    });
  }

  it("a js+dts run leaves the next run's target alone", () => {
    generateWithEs("streaming-kinds", "js+dts");
    const files = [...generateWithEs("streaming-kinds", "ts").keys()];
    expect(files.filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))).toEqual([]);
  });

  it("isolatedDeclarations is enforced: an export without its type fails", () => {
    const files = generateWithEs("any-of-relations", "ts");
    const registry = files.get("authz_registry.ts") ?? "";
    const broken = registry.replace("[]): AuthzGuard {", "[]) {");
    expect(broken).not.toBe(registry);
    expect(typecheck(new Map([...files, ["authz_registry.ts", broken]]), "not-isolated", isolated).join("\n")).toMatch(
      /isolatedDeclarations/,
    );
  });
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

/** grpc.health.v1.Health as protoc-gen-es generates it: a service whose table users write by hand. */
const health = runEs(buildRequest(join(repoRoot, "test/fixtures/health"), ""));

describe.each(targets)("what users of target=%s see", (target) => {
  const files = new Map([...generateWithEs("any-of-relations", target), ...health]);
  const head = [
    'import type { HandlerContext } from "@connectrpc/connect";',
    'import { Health } from "./grpc/health/v1/health_pb.js";',
    'import { authzTables, createAuthzGuard, defineServiceAuthz, principalOf, type AuthzGuard, type PrincipalKind } from "./authz_registry.js";',
    'import { WorkspaceServiceAuthz, type WorkspaceServiceRules } from "./ws/v1/ws_authz.js";',
    "export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;",
    "export { Health, authzTables, createAuthzGuard, defineServiceAuthz, principalOf, WorkspaceServiceAuthz };",
    "export type { AuthzGuard, PrincipalKind, WorkspaceServiceRules };",
    "export const proofs: true[] = [];",
    "export function use(ctx: HandlerContext) {",
  ].join("\n");
  const check = (body: string) => typecheck(new Map([...files, ["usage.ts", `${head}\n${body}\n}\n`]]), `usage-${target}`);
  const accepts = (body: string) => expect(check(body)).toEqual([]);
  const rejects = (body: string, error: RegExp) => expect(check(body).join("\n")).toMatch(error);

  it("principalOf narrows to the admitted kinds, any_of to the union of its alternatives'", () => {
    accepts(
      [
        'const kind = principalOf(ctx, WorkspaceServiceAuthz, "listSandboxes").kind;',
        'proofs.push(true as Equal<typeof kind, "user">);',
        'const either = principalOf(ctx, WorkspaceServiceAuthz, "updateSandbox").kind;',
        'proofs.push(true as Equal<typeof either, "sandbox" | "user">);',
        // One alternative admits any kind (it restricts by role only).
        'const any = principalOf(ctx, WorkspaceServiceAuthz, "delete").kind;',
        "proofs.push(true as Equal<typeof any, PrincipalKind>);",
      ].join("\n"),
    );
    rejects('const kind: "user" = principalOf(ctx, WorkspaceServiceAuthz, "updateSandbox").kind;', /"sandbox"/);
  });

  it("principalOf rejects a misspelled method", () => {
    rejects('principalOf(ctx, WorkspaceServiceAuthz, "listSandboxe");', /"listSandboxe"/);
  });

  it("the table keeps its literal types and its accessors' request type", () => {
    accepts(
      [
        'proofs.push(true as Equal<WorkspaceServiceRules["listSandboxes"]["access"], "authenticated">);',
        'proofs.push(true as Equal<(typeof WorkspaceServiceAuthz)["rules"]["updateSandbox"]["alternatives"][1]["scopes"], readonly ["sandboxes.write"]>);',
        "proofs.push(true as Equal<(typeof authzTables)[0], typeof WorkspaceServiceAuthz>);",
        "const read = WorkspaceServiceAuthz.rules.listSandboxes.relations[0]?.read;",
        'read?.({ $typeName: "ws.v1.ListSandboxesRequest", workspaceId: "w1" });',
      ].join("\n"),
    );
    rejects(
      "WorkspaceServiceAuthz.rules.listSandboxes.relations[0]?.read?.({ workspaceId: 1 });",
      /'number' is not assignable to type 'string'/,
    );
  });

  it("createAuthzGuard returns typed interceptors", () => {
    accepts(
      [
        "const guard: AuthzGuard = createAuthzGuard({ authenticate: () => undefined });",
        'proofs.push(true as Equal<typeof guard.connect, import("@connectrpc/connect").Interceptor>);',
      ].join("\n"),
    );
  });

  const healthTable = (check: string, watch = 'access: "authenticated", principals: ["sandbox"]') =>
    `createAuthzGuard({ authenticate: () => undefined }, defineServiceAuthz(Health, {\n  check: { ${check} },\n  watch: { ${watch} },\n}));`;

  it("a hand-written table is checked against the generated vocabulary", () => {
    accepts(healthTable('access: "public", reason: "load balancers"'));
    accepts(healthTable('access: "authenticated", roles: ["admin"], scopes: ["sandboxes.write"]'));
    rejects(healthTable('access: "authenticated", principals: ["robot"]'), /"robot"/);
    rejects(healthTable('access: "authenticated", roles: ["root"]'), /"root"/);
    rejects(healthTable('access: "authenticated", scopes: ["sandboxes.delete"]'), /"sandboxes.delete"/);
    rejects(
      healthTable('access: "authenticated", relations: [{ resourceType: "document", idField: "service", permission: "write" }]'),
      /"document"/,
    );
    rejects(
      healthTable('access: "authenticated", relations: [{ resourceType: "workspace", idField: "service", permission: "own" }]'),
      /"own"/,
    );
  });

  it("a hand-written table must cover the service and read its request's fields", () => {
    rejects('defineServiceAuthz(Health, { check: { access: "public", reason: "probes" } });', /watch/);
    rejects(
      healthTable('access: "authenticated", bindings: [{ field: "service", attribute: "tenant", read: (request) => request.tenant }]'),
      /tenant/,
    );
  });
});

describe("target=ts and target=js+dts export exactly the same types", () => {
  it.each(["any-of-relations", "vocabulary", "streaming-kinds"])("%s", (name) => {
    const modules = (files: ReadonlyMap<string, string>) =>
      [...files.keys()].filter((f) => /(_authz|registry|authz\/index)\.(d\.)?ts$/.test(f)).map((f) => f.replace(/(\.d)?\.ts$/, ""));
    const ts = generateWithEs(name, "ts");
    const dts = generateWithEs(name, "js+dts");
    const fromTs = exportedTypes(ts, `${name}-same-ts`, modules(ts));
    expect(fromTs.size).toBeGreaterThan(0);
    expect(exportedTypes(dts, `${name}-same-dts`, modules(dts))).toEqual(fromTs);
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
