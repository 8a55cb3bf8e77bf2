// Guards that refuse to start, malformed principals, and the typed principal
// handlers read.
import type { DescService } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { AuthzConfigError, type AuthzEvent, defineServiceAuthz } from "protoauthz";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createAuthzGuard, principalOf } from "./gen/authz_registry.js";
import { PublicServiceAuthz, UserServiceAuthz, WorkloadServiceAuthz } from "./gen/guardtest/v1/guard_authz.js";
import { UserService } from "./gen/guardtest/v1/guard_pb.js";
import { healthService } from "./support/health.js";
import { authenticate } from "./support/principals.js";

describe("a guard with invalid tables refuses to start", () => {
  const Health = healthService();
  const problemsOf = (...tables: Parameters<typeof createAuthzGuard>[1][]) => {
    try {
      createAuthzGuard({ authenticate }, ...tables);
    } catch (error) {
      expect(error).toBeInstanceOf(AuthzConfigError);
      return (error as AuthzConfigError).problems;
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

  it("a malformed principal from authenticate fails closed as unavailable", async () => {
    const events: AuthzEvent[] = [];
    const { guard } = createAuthzGuard({ authenticate: () => ({ kind: "user" }) as never, audit: (e) => events.push(e) });
    const call = await guard.authorize("/guardtest.v1.PublicService/Unary", { header: new Headers(), peer: undefined });
    expect(call.decision).toMatchObject({ allowed: false, code: "unavailable" });
    expect(events[0]?.detail).toMatch(/not a principal/);
  });

  it("refuses a guard without an authenticate function", () => {
    expect(() => createAuthzGuard({} as never)).toThrow(/authenticate/);
  });
});

describe("principalOf", () => {
  it("is typed from the method's rule", () => {
    const ctx = {} as HandlerContext;
    const typed = () => {
      expectTypeOf(principalOf(ctx, WorkloadServiceAuthz, "unary").kind).toEqualTypeOf<"sandbox">();
      expectTypeOf(principalOf(ctx, UserServiceAuthz, "unary").kind).toEqualTypeOf<"user">();
      expectTypeOf(principalOf(ctx, PublicServiceAuthz, "unary")).toEqualTypeOf<
        import("./gen/authz_registry.js").AuthzPrincipal | undefined
      >();
      // @ts-expect-error: not a method of the service
      principalOf(ctx, UserServiceAuthz, "nope");
    };
    void typed;
  });

  it("throws outside a guarded call", () => {
    expect(() => principalOf({ values: {} }, UserServiceAuthz, "unary")).toThrow(/no guard admitted this call/);
  });
});
