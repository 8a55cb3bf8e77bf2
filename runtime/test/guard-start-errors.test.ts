// Mistakes the guard can see when it starts are reported then, saying what
// to do, instead of surfacing as a denial on every call: a binding to an
// attribute no configured authenticator produces; a missing option.
import {
  type Authenticate,
  type Authenticator,
  AuthzConfigError,
  authenticateWith,
  createGuard,
  defineServiceAuthz,
  type Principal,
  type RelationChecker,
} from "protoauthz";
import { createApiKeyAuthenticator, hashApiKey } from "protoauthz/apikey";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { createTokenReviewAuthenticator } from "protoauthz/k8s";
import { createMtlsAuthenticator } from "protoauthz/mtls";
import { validateRule } from "protoauthz/tool";
import { describe, expect, it } from "vitest";
import { type AuthzPrincipal, createAuthzGuard } from "../../test/gen/authz_registry.js";
import { MsgSchema, WorkloadService } from "../../test/gen/guardtest/v1/guard_pb.js";
import { createCa } from "../../test/support/certs.js";

/** The problems createGuard reports for the test tables (WorkloadService binds sandbox_id for kind sandbox), as printed. */
function problemsWith(authenticate: unknown): string[] {
  try {
    createAuthzGuard({ authenticate: authenticate as Authenticate<AuthzPrincipal> });
  } catch (error) {
    expect(error).toBeInstanceOf(AuthzConfigError);
    return (error as AuthzConfigError).problems.map(String);
  }
  return [];
}

const key = (kind: "user" | "sandbox", attributes: Record<string, string>) => ({
  sha256: hashApiKey(`${kind}-${Object.keys(attributes).join()}`),
  principal: { kind, subject: kind, scopes: [], roles: [], attributes } satisfies AuthzPrincipal,
});
const jwtBase = { issuer: "https://issuer.test", audience: "api", algorithms: ["HS256"], key: { secret: "s".repeat(32) } } as const;

describe("a binding to an attribute no authenticator produces", () => {
  it("keeps the guard from starting, naming the binding, the kind and what the authenticators do carry", () => {
    const apiKeys = createApiKeyAuthenticator({ header: "x-api-key", keys: [key("sandbox", { tenant: "t-1" }), key("user", {})] });
    const problems = problemsWith(authenticateWith(apiKeys));
    expect(problems).toHaveLength(5); // one per WorkloadService method
    expect(problems[0]).toBe(
      '/guardtest.v1.WorkloadService/Unary: binding of "sandbox_id" needs the principal attribute "sandbox_id", but no principal of kind "sandbox" from the configured authenticators carries it (they carry "tenant"); every call would be denied attribute_missing (map "sandbox_id" in the authenticator (e.g. the JWT authenticator\'s principal.attributes: { sandbox_id: "<claim>" }), or bind an attribute it produces)',
    );
  });

  it("JWT claim mappings, mTLS and TokenReview say what they produce", async () => {
    const jwt = (attributes: Record<string, string>) =>
      createJwtAuthenticator({ ...jwtBase, principal: { kind: "sandbox" as const, attributes } });
    expect(problemsWith(authenticateWith(jwt({ user_id: "sub" })))[0]).toMatch(/they carry "user_id"/);
    expect(problemsWith(authenticateWith(jwt({ sandbox_id: "sub" })))).toEqual([]);
    const ca = await createCa("start-errors");
    const mtls = createMtlsAuthenticator({ ca: ca.cert, kind: "sandbox" });
    expect(problemsWith(authenticateWith(mtls))[0]).toMatch(/they carry no attributes/);
    const review = (attributes?: () => Record<string, string>) =>
      createTokenReviewAuthenticator({
        audience: "api",
        kind: "sandbox",
        apiServer: "https://127.0.0.1:1",
        ca: ca.cert,
        credentials: () => "t",
        ...(attributes && { attributes }),
      });
    expect(problemsWith(authenticateWith(review()))[0]).toMatch(/they carry "namespace", "pod_name", "pod_uid", "service_account"/);
    // An attributes function may produce anything: nothing to say.
    expect(problemsWith(authenticateWith(review(() => ({ sandbox_id: "x" }))))).toEqual([]);
  });

  it("looks only at the kinds the binding's rule admits", () => {
    // Users carry no sandbox_id, but WorkloadService binds it for sandboxes only; sandboxes carry it.
    const apiKeys = createApiKeyAuthenticator({ header: "x-api-key", keys: [key("sandbox", { sandbox_id: "sb" }), key("user", {})] });
    expect(problemsWith(authenticateWith(apiKeys))).toEqual([]);
  });

  it("says nothing when an authenticator cannot say what it produces (your own, a custom map)", () => {
    const own: Authenticator<AuthzPrincipal> = { name: "own", inspect: () => "absent", authenticate: () => ({}) as never };
    const apiKeys = createApiKeyAuthenticator({ header: "x-api-key", keys: [key("sandbox", {})] });
    expect(problemsWith(authenticateWith(apiKeys, own))).toEqual([]);
    const mapped = createJwtAuthenticator({
      ...jwtBase,
      principal: { kind: "sandbox" as const, map: (_claims, p: Principal<"sandbox">) => p },
    });
    expect(problemsWith(authenticateWith(mapped))).toEqual([]);
    // A bare function, as tests write them.
    expect(() => createAuthzGuard({ authenticate: () => undefined })).not.toThrow();
  });
});

describe("createGuard's own options", () => {
  it("without authenticate: one structured problem saying what to pass", () => {
    let error: unknown;
    try {
      createAuthzGuard({} as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthzConfigError);
    expect((error as AuthzConfigError).problems).toEqual([
      expect.objectContaining({ where: "createGuard authenticate", fix: expect.stringContaining("authenticateWith(") }),
    ]);
  });

  it("every bad option and table at once, each with where, problem and fix", () => {
    let error: unknown;
    try {
      createAuthzGuard(
        { authenticate: () => undefined, authenticateTimeoutMs: -1, relationTimeoutMs: Number.NaN },
        defineServiceAuthz(WorkloadService, {} as never),
      );
    } catch (e) {
      error = e;
    }
    expect((error as AuthzConfigError).problems.map(String)).toEqual([
      "guardtest.v1.WorkloadService: the service is in two tables (pass each service once)",
      "authenticateTimeoutMs: authenticateTimeoutMs is -1 (give a positive number of milliseconds (default 5000))",
      "relationTimeoutMs: relationTimeoutMs is NaN (give a positive number of milliseconds (default 1000))",
    ]);
  });
});

describe("authenticator options", () => {
  const problemOf = (create: () => unknown) => {
    try {
      create();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthzConfigError);
      const [problem, ...more] = (error as AuthzConfigError).problems;
      expect(more).toEqual([]);
      return { where: problem?.where, text: String(problem) };
    }
    throw new Error("created");
  };

  it("are AuthzConfigErrors with where, problem and fix, not TypeErrors, in every authenticator", async () => {
    const ca = await createCa("options");
    expect(problemOf(() => createJwtAuthenticator({ ...jwtBase, issuer: undefined, principal: { kind: "user" } } as never))).toEqual({
      where: "protoauthz/jwt issuer",
      text: "protoauthz/jwt issuer: no issuer (set issuer (or dangerouslyAcceptAnyIssuer: true to accept tokens from anyone holding a key))",
    });
    expect(problemOf(() => createJwtAuthenticator({ ...jwtBase, principal: { kind: "user" }, cache: { maxEntries: 0 } })).where).toBe(
      "protoauthz/jwt cache.maxEntries",
    );
    expect(problemOf(() => createJwtAuthenticator({ ...jwtBase, algorithms: ["none"], principal: { kind: "user" } } as never)).where).toBe(
      "protoauthz/jwt algorithms and key",
    );
    expect(problemOf(() => createMtlsAuthenticator({ ca: [], kind: "user" })).where).toBe("protoauthz/mtls ca");
    expect(problemOf(() => createApiKeyAuthenticator({ header: "authorization", keys: [] })).where).toBe("protoauthz/apikey header");
    expect(problemOf(() => createTokenReviewAuthenticator({ audience: "", kind: "sandbox", ca: ca.cert })).where).toBe(
      "protoauthz/k8s audience",
    );
    expect(problemOf(() => authenticateWith()).where).toBe("authenticateWith");
  });
});

describe("relation names", () => {
  const rules = (resourceType: string) =>
    defineServiceAuthz(WorkloadService, {
      unary: { access: "authenticated", relations: [{ resourceType, idField: "sandbox_id", permission: "write" }] },
      serverStream: { access: "deny", reason: "x" },
      clientStream: { access: "deny", reason: "x" },
      bidi: { access: "deny", reason: "x" },
      get: { access: "deny", reason: "x" },
    } as never);
  const checker: RelationChecker = { check: (_p, queries) => queries.map(() => true) };
  const start = (resourceType: string) => () => createGuard([rules(resourceType)], { authenticate: () => undefined, relations: checker });

  it("the core asks only for a name; an engine's grammar is the engine's (its checker's validate)", () => {
    expect(start("Workspace")).not.toThrow();
    expect(start("")).toThrow('relation #write: resource type "" is empty or has spaces (name it, e.g. "workspace")');
  });

  it("a checker's validate may answer with structured problems, kept as they are", () => {
    const validating: RelationChecker = {
      ...checker,
      validate: (uses) => uses.map((use) => ({ where: use.procedure, problem: `no ${use.resourceType}`, fix: "add it" })),
    };
    let error: unknown;
    try {
      createGuard([rules("workspace")], { authenticate: () => undefined, relations: validating });
    } catch (e) {
      error = e;
    }
    expect((error as AuthzConfigError).problems).toEqual([
      expect.objectContaining({ where: "/guardtest.v1.WorkloadService/Unary", problem: "no workspace", fix: "add it" }),
    ]);
    expect(String((error as AuthzConfigError).problems[0])).toBe("/guardtest.v1.WorkloadService/Unary: no workspace (add it)");
  });

  it("the plugin checks SpiceDB's grammar through protoauthz/tool", () => {
    const rule = {
      access: "authenticated",
      relations: [{ resourceType: "Workspace", idField: "sandbox_id", permission: "write" }],
    } as const;
    expect(validateRule(rule, MsgSchema)).toEqual([
      {
        problem: 'relation Workspace#write: resource type "Workspace" is not a valid SpiceDB object type',
        fix: 'use 3–64 lowercase letters, digits or underscores starting with a letter, e.g. "workspace" or "tenant/document"',
      },
    ]);
  });
});
