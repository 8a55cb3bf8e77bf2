// The decision core agrees with a small reference model, written as plainly
// as the rules are documented, over random rules (any_of and relations
// included), principals, messages and engine facts. The same property fails
// on deliberately wrong models, so it can tell.
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { defineServiceAuthz, type Principal, type Relation, type RelationChecker, type Requirements, type Rule } from "protoauthz";
import { compileTables, decide } from "protoauthz/tool";
import { describe, expect, it } from "vitest";
import { MsgSchema, WorkloadService } from "../../test/gen/guardtest/v1/guard_pb.js";

const names = ["a", "b", "c", "d"];
const subset = fc.uniqueArray(fc.constantFrom(...names), { maxLength: 3 });
const ids = fc.constantFrom("", "sb-1", "sb-2");
const numbers = fc.constantFrom("0", "-0", "7", "8");

type Message = { sandboxId: string; text: string; tenantNumber: string };
const fieldOf: Record<string, keyof Message> = { sandbox_id: "sandboxId", text: "text", tenant_number: "tenantNumber" };

const bindings = fc.constantFrom(
  [],
  [{ field: "sandbox_id", attribute: "sandbox_id" }],
  [{ field: "text", attribute: "tenant" }],
  [{ field: "tenant_number", attribute: "tenant" }],
);
const relations: fc.Arbitrary<Relation<unknown>[]> = fc.constantFrom(
  [],
  [{ resourceType: "doc", idField: "sandbox_id", permission: "read" }],
  [{ resourceType: "org", idField: "tenant_number", permission: "member" }],
  [
    { resourceType: "doc", idField: "text", permission: "read" },
    { resourceType: "org", idField: "tenant_number", permission: "member" },
  ],
);
const requirements: fc.Arbitrary<Requirements<unknown>> = fc.record({
  principals: subset,
  scopes: subset,
  roles: subset,
  bindings,
  relations,
});
const restricted = requirements.filter((r) => [r.principals, r.scopes, r.roles, r.bindings, r.relations].some((l) => (l?.length ?? 0) > 0));

const rule: fc.Arbitrary<Rule<unknown>> = fc.oneof(
  fc.constant({ access: "public", reason: "r" } as const),
  fc.constant({ access: "deny", reason: "r" } as const),
  requirements.map((r) => ({ access: "authenticated" as const, ...r })),
  fc.array(restricted, { minLength: 2, maxLength: 3 }).map((alternatives) => ({ access: "any_of" as const, alternatives })),
);

const principal: fc.Arbitrary<Principal | undefined> = fc.option(
  fc.record({
    kind: fc.constantFrom(...names),
    subject: fc.constantFrom("s1", "s2"),
    scopes: subset,
    roles: subset,
    attributes: fc.record({ sandbox_id: ids, tenant: fc.constantFrom("", "sb-1", "7", "0") }, { requiredKeys: [] }),
  }),
  { nil: undefined },
);

const message = fc.record({ sandboxId: ids, text: ids, tenantNumber: numbers });

/** What the engine knows: "subject resourceType:id#permission". */
const facts = fc.uniqueArray(
  fc
    .tuple(
      fc.constantFrom("s1", "s2"),
      fc.constantFrom("doc:sb-1#read", "doc:sb-2#read", "org:7#member", "org:8#member", "org:0#member", "org:-0#member"),
    )
    .map(([s, f]) => `${s} ${f}`),
  { maxLength: 6 },
);

/** A model of the engine; counts round trips. */
function modelEngine(known: readonly string[]) {
  const held = new Set(known);
  const seen = { roundTrips: 0 };
  const checker: RelationChecker = {
    async check(p, queries) {
      seen.roundTrips++;
      return queries.map((q) => held.has(`${p.subject} ${q.resourceType}:${q.resourceId}#${q.permission}`));
    },
  };
  return { checker, seen };
}

interface Model {
  /** A field as compared: "" and every zero are unset. */
  value(m: Message, field: string): string;
  admits(req: Requirements<unknown>, p: Principal, m: Message, held: ReadonlySet<string>): boolean;
  anyOf(results: boolean[]): boolean;
}

/** The documented semantics, one line each. */
const documented: Model = {
  value(m, field) {
    const raw = m[fieldOf[field] ?? "text"];
    return field === "tenant_number" && /^-?0+$/.test(raw) ? "" : raw;
  },
  admits(req, p, m, held) {
    if ((req.principals ?? []).length > 0 && !req.principals?.includes(p.kind)) return false;
    if (!(req.scopes ?? []).every((s) => p.scopes.includes(s))) return false;
    if ((req.roles ?? []).length > 0 && !req.roles?.some((role) => p.roles.includes(role))) return false;
    for (const b of req.bindings ?? []) {
      const value = this.value(m, b.field);
      const attribute = p.attributes[b.attribute];
      if (value === "" || attribute === undefined || attribute === "" || value !== attribute) return false;
    }
    return (req.relations ?? []).every((r) => {
      const id = this.value(m, r.idField);
      return id !== "" && held.has(`${p.subject} ${r.resourceType}:${id}#${r.permission}`);
    });
  },
  anyOf: (results) => results.some(Boolean),
};

function reference(model: Model, r: Rule<unknown>, p: Principal | undefined, m: Message, known: readonly string[]): string {
  if (r.access === "public") return "allow";
  if (r.access === "deny") return "permission_denied";
  if (p === undefined) return "unauthenticated";
  // The core reports an audit rule as an unrestricted authenticated one; the guard never enforces it.
  if (r.access === "audit") return "allow";
  const held = new Set(known);
  const alternatives = r.access === "authenticated" ? [r] : r.alternatives;
  return model.anyOf(alternatives.map((alt) => model.admits(alt, p, m, held))) ? "allow" : "permission_denied";
}

/** Whether the engine must be asked: no alternative without relations admits, and one with relations passes everything else. */
function mustAsk(r: Rule<unknown>, p: Principal | undefined, m: Message): boolean {
  if (p === undefined || (r.access !== "authenticated" && r.access !== "any_of")) return false;
  const alternatives = r.access === "authenticated" ? [r] : r.alternatives;
  const withoutEngine = (alt: Requirements<unknown>) => ({ ...alt, relations: [] });
  const all = new Set<string>();
  if (alternatives.some((alt) => (alt.relations ?? []).length === 0 && documented.admits(alt, p, m, all))) return false;
  return alternatives.some(
    (alt) =>
      (alt.relations ?? []).length > 0 &&
      documented.admits(withoutEngine(alt), p, m, all) &&
      (alt.relations ?? []).every((rel) => documented.value(m, rel.idField) !== ""),
  );
}

function property(model: Model) {
  return fc.asyncProperty(rule, principal, message, facts, async (r, p, m, known) => {
    const table = defineServiceAuthz(WorkloadService, { unary: r, serverStream: r, clientStream: r, bidi: r, get: r } as never);
    const entry = compileTables([table]).get("/guardtest.v1.WorkloadService/Unary");
    if (entry === undefined) throw new Error("no entry");
    const engine = modelEngine(known);
    const decision = await decide(entry.checked, p, create(MsgSchema, m), { checker: engine.checker, procedure: entry.procedure });
    expect(decision.allowed ? "allow" : decision.code).toBe(reference(model, r, p, m, known));
    expect(engine.seen.roundTrips).toBe(mustAsk(r, p, m) ? 1 : 0);
  });
}

const settings = { numRuns: 3000, seed: 20261128 };

describe("decide", () => {
  it("agrees with the reference model", async () => {
    await fc.assert(property(documented), settings);
  });

  // Each wrong model differs from the documented one in one line; the property must catch every one.
  const mutations: Record<string, Model> = {
    "any_of needs every alternative": { ...documented, anyOf: (results) => results.every(Boolean) },
    "relations are ignored": {
      ...documented,
      admits(req, p, m, held) {
        return documented.admits.call(this, { ...req, relations: [] }, p, m, held);
      },
    },
    "zero is an id like any other": { ...documented, value: (m, field) => m[fieldOf[field] ?? "text"] },
    "bindings are ignored": {
      ...documented,
      admits(req, p, m, held) {
        return documented.admits.call(this, { ...req, bindings: [] }, p, m, held);
      },
    },
  };
  for (const [name, model] of Object.entries(mutations)) {
    it(`fails on a mutated model: ${name}`, async () => {
      const result = await fc.check(property(model), settings);
      expect(result.failed).toBe(true);
    });
  }
});
