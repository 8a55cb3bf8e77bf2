// The decision core agrees with a small reference model, written as plainly
// as the rules are documented, over random rules, principals and messages.
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { compileTables, decide, defineServiceAuthz, type Principal, type Rule } from "protoauthz";
import { describe, expect, it } from "vitest";
import { MsgSchema, WorkloadService } from "./gen/guardtest/v1/guard_pb.js";

const names = ["a", "b", "c", "d"];
const subset = fc.uniqueArray(fc.constantFrom(...names), { maxLength: 3 });
const ids = fc.constantFrom("", "sb-1", "sb-2");

const rule: fc.Arbitrary<Rule<unknown>> = fc.oneof(
  fc.constant({ access: "public", reason: "r" } as const),
  fc.constant({ access: "deny", reason: "r" } as const),
  fc.record({
    access: fc.constant("authenticated" as const),
    principals: subset,
    scopes: subset,
    roles: subset,
    bindings: fc.constantFrom([], [{ field: "sandbox_id", attribute: "sandbox_id" }], [{ field: "text", attribute: "tenant" }]),
  }),
);

const principal: fc.Arbitrary<Principal | undefined> = fc.option(
  fc.record({
    kind: fc.constantFrom(...names),
    subject: fc.constant("s"),
    scopes: subset,
    roles: subset,
    attributes: fc.record({ sandbox_id: ids, tenant: ids }, { requiredKeys: [] }),
  }),
  { nil: undefined },
);

const message = fc.record({ sandboxId: ids, text: ids }).map((m) => create(MsgSchema, m));

/** The documented semantics, one line each. */
function reference(r: Rule<unknown>, p: Principal | undefined, m: { sandboxId: string; text: string }): string {
  if (r.access === "public") return "allow";
  if (r.access === "deny") return "permission_denied";
  if (p === undefined) return "unauthenticated";
  if (r.access !== "authenticated") return "permission_denied";
  if ((r.principals ?? []).length > 0 && !r.principals?.includes(p.kind)) return "permission_denied";
  if (!(r.scopes ?? []).every((s) => p.scopes.includes(s))) return "permission_denied";
  if ((r.roles ?? []).length > 0 && !r.roles?.some((role) => p.roles.includes(role))) return "permission_denied";
  for (const b of r.bindings ?? []) {
    const value = b.field === "sandbox_id" ? m.sandboxId : m.text;
    const attribute = p.attributes[b.attribute];
    if (value === "" || attribute === undefined || attribute === "" || value !== attribute) return "permission_denied";
  }
  return "allow";
}

describe("decide", () => {
  it("agrees with the reference model", () => {
    fc.assert(
      fc.property(rule, principal, message, (r, p, m) => {
        const table = defineServiceAuthz(WorkloadService, {
          unary: r,
          serverStream: r,
          clientStream: r,
          bidi: r,
          get: r,
        } as never);
        const entry = compileTables([table]).get("/guardtest.v1.WorkloadService/Unary");
        if (entry === undefined) throw new Error("no entry");
        const decision = decide(entry.checked, p, m);
        expect(decision.allowed ? "allow" : decision.code).toBe(reference(r, p, m));
      }),
      { numRuns: 5000 },
    );
  });
});
