// Guards that refuse to start, malformed principals, and the typed principal
// handlers read.
import type { DescService } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import fc from "fast-check";
import { AuthzConfigError, type AuthzEvent, defineServiceAuthz } from "protoauthz";
import { canonicalValue, compileTables, decide } from "protoauthz/tool";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createAuthzGuard, principalOf } from "../../test/gen/authz_registry.js";
import { PublicServiceAuthz, UserServiceAuthz, WorkloadServiceAuthz } from "../../test/gen/guardtest/v1/guard_authz.js";
import { MsgSchema, UserService, WorkloadService } from "../../test/gen/guardtest/v1/guard_pb.js";
import { healthService } from "../../test/support/health.js";
import { authenticate } from "../../test/support/principals.js";

describe("a guard with invalid tables refuses to start", () => {
  const Health = healthService();
  const problemsOf = (...tables: Parameters<typeof createAuthzGuard>[1][]) => {
    try {
      createAuthzGuard({ authenticate }, ...tables);
    } catch (error) {
      expect(error).toBeInstanceOf(AuthzConfigError);
      return (error as AuthzConfigError).problems.map(String);
    }
    throw new Error("the guard started");
  };

  it("lists every problem at once", () => {
    const problems = problemsOf(
      defineServiceAuthz(Health, {
        check: { access: "public", reason: "" },
        unknownMethod: { access: "deny", reason: "x" },
      } as never),
      defineServiceAuthz(
        UserService as DescService,
        {
          unary: { access: "public", reason: "duplicate" },
        } as never,
      ),
    );
    expect(problems).toEqual([
      'grpc.health.v1.Health: rule for "unknownMethod", which the service does not have (remove it)',
      'grpc.health.v1.Health.Check: public rule has an empty reason (say why, e.g. public: { reason: "…" })',
      'grpc.health.v1.Health.Watch: no rule (add "watch" to the table)',
      "guardtest.v1.UserService: the service is in two tables (pass each service once)",
    ]);
  });

  it("checks bindings and the vocabulary like the plugin does", () => {
    const problems = problemsOf(
      defineServiceAuthz(Health, {
        check: { access: "authenticated", principals: ["robot"], bindings: [{ field: "status", attribute: "x" }] },
        watch: { access: "authenticated", roles: ["root"], bindings: [{ field: "service.name", attribute: "x" }] },
      } as never),
    );
    expect(problems).toEqual([
      'grpc.health.v1.Health.Check: principal "robot" is not in the declared vocabulary (use one of "user", "sandbox", "service", or add it to the principals option)',
      'grpc.health.v1.Health.Check: binding field "status" does not exist: grpc.health.v1.HealthCheckRequest has no field "status" (use a proto field name of grpc.health.v1.HealthCheckRequest (service))',
      'grpc.health.v1.Health.Watch: role "root" is not in the declared vocabulary (use one of "admin", "member", "auditor", or add it to the roles option)',
      'grpc.health.v1.Health.Watch: binding field "service.name" steps into "service", which is not a message (end the path at "service")',
    ]);
  });

  it("checks the shape of every rule written in code, listing every problem, never a TypeError", () => {
    const malformed = [
      { access: "authenticated", roles: "admin" },
      { access: "authenticated", principals: ["user", 7], scopes: [""], role: ["admin"] },
      { access: "authenticated", bindings: { field: "service", attribute: "x" } },
      { access: "authenticated", bindings: [{ field: "service" }, "service", { field: "service", attribute: "x", read: "service" }] },
      { access: "authenticated", relations: [{ resourceType: "workspace", idField: 3, permission: "write" }] },
      { access: "any_of", alternatives: [{ roles: "admin" }, null] },
      { access: "any_of", alternatives: "admin" },
      { access: "public", reason: 42 },
      { access: "public" },
      { access: "deny", reason: "x", source: "plugin" },
      { access: "allow" },
      "public",
      null,
    ];
    const problems = problemsOf(defineServiceAuthz(Health, { check: malformed[0], watch: malformed[1] } as never));
    expect(problems).toEqual([
      'grpc.health.v1.Health.Check: roles is the string "admin", not an array (write roles: ["admin"])',
      'grpc.health.v1.Health.Watch: an authenticated rule has an unknown property "role" (remove it; known: access, source, principals, scopes, roles, bindings, relations, conditions)',
      "grpc.health.v1.Health.Watch: principals[1] is a number, not a string (list names as strings)",
    ]);
    // Every other malformed rule is refused too, each with a problem of its own.
    for (const rule of malformed.slice(2)) {
      const found = problemsOf(defineServiceAuthz(Health, { check: rule, watch: { access: "deny", reason: "x" } } as never));
      expect(found.length, JSON.stringify(rule)).toBeGreaterThan(0);
      expect(
        found.every((p) => p.startsWith("grpc.health.v1.Health.Check: ")),
        JSON.stringify(found),
      ).toBe(true);
    }
  });

  it('a bare string is never iterated: roles: "admin" does not admit role "a"', () => {
    expect(() =>
      createAuthzGuard(
        { authenticate },
        defineServiceAuthz(Health, { check: { access: "authenticated", roles: "admin" }, watch: { access: "deny", reason: "x" } } as never),
      ),
    ).toThrow(AuthzConfigError);
  });

  it("any value where a rule or one of its fields belongs is a listed problem or a valid rule, never a crash", () => {
    const field = fc.oneof(fc.anything(), fc.array(fc.anything(), { maxLength: 3 }), fc.array(fc.string(), { maxLength: 3 }));
    const requirement = fc.record(
      { principals: field, scopes: field, roles: field, bindings: field, relations: field },
      { requiredKeys: [] },
    );
    const rule = fc.oneof(
      fc.anything(),
      fc.record({ access: fc.constantFrom("public", "deny", "allow"), reason: fc.anything() }, { requiredKeys: ["access"] }),
      requirement.map((r) => ({ access: "authenticated", ...r })),
      fc.record({ access: fc.constant("any_of"), alternatives: fc.oneof(fc.anything(), fc.array(requirement, { maxLength: 3 })) }),
    );
    fc.assert(
      fc.property(rule, (r) => {
        try {
          createAuthzGuard({ authenticate }, defineServiceAuthz(Health, { check: r, watch: { access: "deny", reason: "x" } } as never));
        } catch (error) {
          expect(error).toBeInstanceOf(AuthzConfigError);
        }
      }),
      { numRuns: 2000, seed: 8 },
    );
  });

  it("a table whose getter throws is a listed problem", () => {
    const rules = { watch: { access: "deny", reason: "x" } };
    Object.defineProperty(rules, "check", {
      enumerable: true,
      get: () => ({
        access: "public",
        get reason(): string {
          throw new Error("boom");
        },
      }),
    });
    expect(problemsOf(defineServiceAuthz(Health, rules as never))).toEqual([
      "grpc.health.v1.Health.Check: the rule cannot be read: Error: boom (write the rule as a plain object literal, without getters)",
    ]);
  });

  it("a malformed principal from authenticate fails closed as unavailable", async () => {
    const events: AuthzEvent[] = [];
    const { guard } = createAuthzGuard({ authenticate: () => ({ kind: "user" }) as never, audit: (e) => events.push(e) });
    const call = await guard.authorize({ procedure: "/guardtest.v1.PublicService/Unary", header: new Headers(), peer: undefined });
    expect(call.decision).toMatchObject({ allowed: false, code: "unavailable" });
    expect(events[0]?.detail).toMatch(/not a principal/);
  });

  it("refuses a guard without an authenticate function", () => {
    expect(() => createAuthzGuard({} as never)).toThrow(/authenticate/);
  });
});

describe("zero is unset in every representation", () => {
  // tenant_number is an int64 with [jstype = JS_STRING]: generated code reads it as a string.
  const table = defineServiceAuthz(WorkloadService, {
    unary: { access: "authenticated", bindings: [{ field: "tenant_number", attribute: "tenant" }] },
    serverStream: { access: "authenticated", bindings: [{ field: "tenant_number", attribute: "tenant", read: (m) => m.tenantNumber }] },
    clientStream: { access: "deny", reason: "x" },
    bidi: { access: "deny", reason: "x" },
    get: { access: "deny", reason: "x" },
  });
  const entries = compileTables([table]);
  const principal = (tenant: string) => ({ kind: "user", subject: "u", scopes: [], roles: [], attributes: { tenant } });

  for (const method of ["Unary", "ServerStream"]) {
    const checked = entries.get(`/guardtest.v1.WorkloadService/${method}`)?.checked;
    if (checked === undefined) throw new Error("no entry");
    it(`${method}: "0", "-0", "00" are unset, even against an attribute "0"`, () => {
      for (const zero of ["0", "-0", "00", "", "-00"]) {
        expect(decide(checked, principal("0"), create(MsgSchema, { tenantNumber: zero })), zero).toMatchObject({ reason: "binding_unset" });
      }
    });
    it(`${method}: other integers compare by value, in canonical decimal`, () => {
      expect(decide(checked, principal("42"), create(MsgSchema, { tenantNumber: "42" }))).toMatchObject({ allowed: true });
      expect(decide(checked, principal("42"), create(MsgSchema, { tenantNumber: "042" }))).toMatchObject({ allowed: true });
      expect(decide(checked, principal("-5"), create(MsgSchema, { tenantNumber: "-5" }))).toMatchObject({ allowed: true });
      expect(decide(checked, principal("042"), create(MsgSchema, { tenantNumber: "42" }))).toMatchObject({ reason: "binding_mismatch" });
      expect(decide(checked, principal("42"), create(MsgSchema, { tenantNumber: "4e1" }))).toMatchObject({ reason: "binding_unset" });
    });
  }

  it("every representation generated code can produce", () => {
    for (const zero of [0, -0, 0n, "0", "-0", "00"]) expect(canonicalValue(zero, true), String(zero)).toBeUndefined();
    expect(canonicalValue(0.5, true)).toBeUndefined();
    expect(canonicalValue(2 ** 60, true)).toBeUndefined(); // past 2^53 a number is not exact
    expect(canonicalValue(12n, true)).toBe("12");
    expect(canonicalValue("0", false)).toBe("0"); // a string field "0" is an id like any other
    expect(canonicalValue(12, false)).toBeUndefined(); // not the field's type
  });
});

describe("principalOf", () => {
  it("is typed from the method's rule", () => {
    const ctx = {} as HandlerContext;
    const typed = () => {
      expectTypeOf(principalOf(ctx, WorkloadServiceAuthz, "unary").kind).toEqualTypeOf<"sandbox">();
      expectTypeOf(principalOf(ctx, UserServiceAuthz, "unary").kind).toEqualTypeOf<"user">();
      expectTypeOf(principalOf(ctx, PublicServiceAuthz, "unary")).toEqualTypeOf<
        import("../../test/gen/authz_registry.js").AuthzPrincipal | undefined
      >();
      // @ts-expect-error: not a method of the service
      principalOf(ctx, UserServiceAuthz, "nope");
    };
    void typed;
  });

  it("is the union of the alternatives' kinds for any_of", () => {
    const table = defineServiceAuthz(UserService, {
      unary: { access: "any_of", alternatives: [{ principals: ["user"], roles: ["admin"] }, { principals: ["service"] }] },
      serverStream: { access: "any_of", alternatives: [{ principals: ["user"] }, { roles: ["admin"] }] },
      clientStream: { access: "deny", reason: "x" },
      bidi: { access: "deny", reason: "x" },
    });
    const ctx = {} as HandlerContext;
    const typed = () => {
      expectTypeOf(principalOf(ctx, table, "unary").kind).toEqualTypeOf<"user" | "service">();
      expectTypeOf(principalOf(ctx, table, "serverStream").kind).toEqualTypeOf<"user" | "sandbox" | "service">();
    };
    void typed;
  });

  it("throws outside a guarded call", () => {
    expect(() => principalOf({ values: {} }, UserServiceAuthz, "unary")).toThrow(/no guard admitted this call/);
  });
});
