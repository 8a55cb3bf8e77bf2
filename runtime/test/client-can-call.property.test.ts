// canCall decides offline with the guard's own decision code: for random
// rules, principals and requests it gives the guard's answer wherever the
// guard needs no relationship engine, and says "unknown" where it would.

import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { AuthzConfigError, createGuard, defineServiceAuthz, type Principal, type Requirements, type Rule } from "protoauthz";
import { canCall } from "protoauthz/client";
import { describe, expect, it } from "vitest";
import { MsgSchema, UserService } from "../../test/gen/guardtest/v1/guard_pb.js";

const kinds = ["user", "sandbox", "service"];
const scopes = ["things.read", "things.write"];
const roles = ["admin", "member", "auditor"];
const values = ["", "0", "1", "sb-1", "sb-2", "007"];

const subset = (of: string[]) => fc.subarray(of);
const requirements: fc.Arbitrary<Requirements<never>> = fc.record({
  principals: subset(kinds),
  scopes: subset(scopes),
  roles: subset(roles),
  bindings: fc.subarray([
    { field: "sandbox_id", attribute: "sandbox_id" },
    { field: "tenant_number", attribute: "tenant" },
  ]),
  relations: fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.constant([{ resourceType: "sandbox", idField: "sandbox_id", permission: "read" }]) },
  ),
});
const rule: fc.Arbitrary<Rule<never>> = fc.oneof(
  fc.constant({ access: "public", reason: "open" } as const),
  fc.constant({ access: "deny", reason: "closed" } as const),
  fc.constant({ access: "audit", reason: "undeclared" } as const),
  requirements.map((r) => ({ access: "authenticated" as const, ...r })),
  fc.array(requirements, { minLength: 2, maxLength: 3 }).map((alternatives) => ({ access: "any_of" as const, alternatives })),
);
const principal: fc.Arbitrary<Principal | undefined> = fc.option(
  fc.record({
    kind: fc.constantFrom(...kinds),
    subject: fc.constantFrom("alice", "sb-1"),
    scopes: subset(scopes),
    roles: subset(roles),
    attributes: fc.record({ sandbox_id: fc.constantFrom(...values), tenant: fc.constantFrom(...values) }, { requiredKeys: [] }),
  }),
  { nil: undefined },
);
const request = fc.record({ sandboxId: fc.constantFrom(...values), tenantNumber: fc.constantFrom(...values) });

describe("canCall", () => {
  it("agrees with the guard wherever no engine is involved", async () => {
    await fc.assert(
      fc.asyncProperty(rule, principal, request, async (r, who, fields) => {
        const table = defineServiceAuthz(UserService, { unary: r, serverStream: r, clientStream: r, bidi: r } as never);
        let engineAsked = false;
        const relations = {
          check: async (_p: Principal, queries: readonly unknown[]) => {
            engineAsked = true;
            return queries.map(() => true);
          },
        };
        let guard: ReturnType<typeof createGuard>;
        try {
          guard = createGuard([table], { authenticate: () => who, relations });
        } catch (error) {
          // A rule the guard refuses to start with, canCall refuses too (the same compilation).
          expect(error).toBeInstanceOf(AuthzConfigError);
          expect(() => canCall(who, table, "unary")).toThrow(AuthzConfigError);
          return;
        }
        const message = create(MsgSchema, {
          sandboxId: fields.sandboxId,
          tenantNumber: fields.tenantNumber === "" ? "0" : fields.tenantNumber,
        });
        const call = await guard.authorize({ procedure: "/guardtest.v1.UserService/Unary", header: new Headers(), peer: undefined });
        const decision = call.decision.allowed ? await call.checkMessage(message) : call.decision;
        const offline = canCall(who, table, "unary", message);
        if (offline.allowed === "unknown") {
          expect(offline.reason).toBe("relations");
          expect(engineAsked).toBe(true);
          return;
        }
        expect(engineAsked).toBe(false);
        // An audit rule lets everything through: the guard's decision says so once enforced.
        expect({ allowed: offline.allowed, reason: offline.reason }).toEqual(
          r.access === "audit" ? { allowed: true, reason: "audited" } : { allowed: decision.allowed, reason: decision.reason },
        );
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
    );
  });

  it("needs the request when the rule reads it, and names the method when it does not exist", () => {
    const table = defineServiceAuthz(UserService, {
      unary: { access: "authenticated", principals: ["sandbox"], bindings: [{ field: "sandbox_id", attribute: "sandbox_id" }] },
      serverStream: { access: "public", reason: "open" },
      clientStream: { access: "deny", reason: "closed" },
      bidi: { access: "authenticated", relations: [{ resourceType: "sandbox", idField: "sandbox_id", permission: "read" }] },
    });
    const sandbox: Principal = { kind: "sandbox", subject: "sb-1", scopes: [], roles: [], attributes: { sandbox_id: "sb-1" } };
    expect(canCall(sandbox, table, "unary")).toEqual({ allowed: "unknown", reason: "request_needed" });
    expect(canCall(sandbox, table, "unary", create(MsgSchema, { sandboxId: "sb-1" })).allowed).toBe(true);
    expect(canCall(sandbox, table, "unary", create(MsgSchema, { sandboxId: "sb-2" }))).toMatchObject({
      allowed: false,
      reason: "binding_mismatch",
    });
    expect(canCall(undefined, table, "serverStream").allowed).toBe(true);
    expect(canCall(sandbox, table, "clientStream")).toMatchObject({ allowed: false, reason: "rule_denies" });
    expect(canCall(sandbox, table, "bidi", create(MsgSchema, { sandboxId: "sb-1" }))).toEqual({ allowed: "unknown", reason: "relations" });
    expect(() => canCall(sandbox, table, "nope" as never)).toThrow(
      'has no method "nope" (its methods: unary, serverStream, clientStream, bidi)',
    );
  });
});
