// What each entry point of protoauthz exports is a decision, not an accident:
// the root is the user API, internals reach tests and tools only through
// protoauthz/tool, and the removed names stay removed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Project } from "ts-morph";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../test/support/request.js";

const project = new Project({ tsConfigFilePath: join(repoRoot, "runtime/tsconfig.json"), skipAddingFilesFromTsConfig: true });

/** Every name an entry point exports, values and types alike. */
function exportedNames(entry: string): string[] {
  const file = project.addSourceFileAtPath(join(repoRoot, "runtime/src", entry));
  project.resolveSourceFileDependencies();
  return [...file.getExportedDeclarations().keys()].sort();
}

describe("protoauthz exports", () => {
  it("the root is the user API and nothing else", () => {
    expect(exportedNames("index.ts")).toEqual(
      [
        "AllowReason",
        "AnyOfRule",
        "AnyServiceRules",
        "AuditHook",
        "AuditRule",
        "Attribution",
        "Authenticate",
        "AuthenticatedRule",
        "AuthenticationError",
        "Authenticator",
        "AuthnRequest",
        "AuthzConfigError",
        "AuthzCoverageError",
        "AuthzEvent",
        "Binding",
        "CallAuthorization",
        "CallHandle",
        "Caller",
        "ConfigProblem",
        "Coverage",
        "Decision",
        "DenyCode",
        "DenyReason",
        "DenyRule",
        "Guard",
        "GuardOptions",
        "MethodRule",
        "NotAdmittedError",
        "Peer",
        "Principal",
        "PrincipalFor",
        "ProducedPrincipals",
        "PublicRule",
        "Relation",
        "RelationChecker",
        "RelationQuery",
        "RelationRefusal",
        "RelationRefusalReason",
        "RelationUse",
        "RequestHeaders",
        "RequestOf",
        "Requirements",
        "Rule",
        "RuleSource",
        "ServiceAuthz",
        "ServiceRules",
        "Vocabulary",
        "assertCoverage",
        "authenticateWith",
        "callerOf",
        "checkCoverage",
        "createGuard",
        "defineServiceAuthz",
        "isAuthenticationError",
        "isAuthzConfigError",
        "principalOf",
      ].sort(),
    );
  });

  it("internals are not at the root, and tools find them under protoauthz/tool", () => {
    const internals = ["compileTables", "decide", "checkRule", "canonicalValue", "readFieldPath", "resolveFieldPath", "validateRule"];
    const root = exportedNames("index.ts");
    const tool = exportedNames("tool/index.ts");
    for (const name of [...internals, "FieldReader", "FieldReaderFactory", "PendingRelations", "TableEntry", "RuleProblem"]) {
      expect(root, name).not.toContain(name);
      expect(tool, name).toContain(name);
    }
    // The one copy of the extension descriptors, for the plugin.
    expect(tool).toEqual(expect.arrayContaining(["rule", "default_rule", "RuleSchema", "file_protoauthz_v1_authz"]));
  });

  it("the removed names stay removed", () => {
    for (const name of ["principalKey", "tlsPeerContextValues"]) expect(exportedNames("connect/index.ts")).not.toContain(name);
    for (const name of ["servedByConnectRouter", "servedByGrpcServer", "procedureOf", "publicMessageOf", "CallerOf"]) {
      expect(exportedNames("index.ts")).not.toContain(name);
    }
    expect(exportedNames("connect/index.ts")).toContain("servedByConnectRouter");
    expect(exportedNames("grpc-js/index.ts")).toContain("servedByGrpcServer");
    const guard = project.getSourceFileOrThrow(join(repoRoot, "runtime/src/guard-api.ts")).getInterfaceOrThrow("Guard");
    expect(guard.getProperties().map((p) => p.getName())).toEqual(["procedures", "dryRun"]);
    expect(guard.getMethods().map((m) => m.getName())).toEqual(["authorize"]);
  });

  it("every export of both packages points at what ships (dist/), with no condition naming unshipped sources", () => {
    for (const pkg of ["runtime", "plugin"]) {
      const manifest = JSON.parse(readFileSync(join(repoRoot, pkg, "package.json"), "utf8")) as {
        exports: Record<string, Record<string, string>>;
      };
      for (const [subpath, conditions] of Object.entries(manifest.exports)) {
        expect(Object.keys(conditions), `${pkg} ${subpath}`).toEqual(["types", "default"]);
        for (const target of Object.values(conditions)) expect(target, `${pkg} ${subpath}`).toMatch(/^\.\/dist\//);
      }
    }
  });
});
