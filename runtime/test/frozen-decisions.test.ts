// The objects a guard shares between calls (its decisions, its prepared
// rules, what a relation checker is shown) are frozen: an audit hook or an
// adapter that writes to one cannot change the answer another call gets.
import { create } from "@bufbuild/protobuf";
import { type AuthzEvent, type Decision, defineServiceAuthz } from "protoauthz";
import { compileTables, decide } from "protoauthz/tool";
import { describe, expect, it } from "vitest";
import { createAuthzGuard } from "../../test/gen/authz_registry.js";
import { MsgSchema, WorkloadService } from "../../test/gen/guardtest/v1/guard_pb.js";
import { callers } from "../../test/support/principals.js";

/** Frozen all the way down, functions and descriptors aside. */
function deeplyFrozen(value: unknown, path = "value", seen = new Set<unknown>()): string[] {
  if (typeof value !== "object" || value === null || seen.has(value)) return [];
  seen.add(value);
  if ((value as { kind?: unknown }).kind === "rpc" || (value as { kind?: unknown }).kind === "message") return []; // a descriptor
  const own = Object.isFrozen(value) ? [] : [path];
  return [...own, ...Object.entries(value).flatMap(([key, v]) => deeplyFrozen(v, `${path}.${key}`, seen))];
}

const sandbox = callers.sandbox;
const rule = {
  access: "any_of",
  alternatives: [{ principals: ["sandbox"], bindings: [{ field: "sandbox_id", attribute: "sandbox_id" }] }, { roles: ["admin"] }],
} as const;
const table = defineServiceAuthz(WorkloadService, { unary: rule, serverStream: rule, clientStream: rule, bidi: rule, get: rule } as never);

describe("shared decision objects are frozen", () => {
  it("every decision a guard returns, shared or attributed", async () => {
    const events: AuthzEvent[] = [];
    const { guard } = createAuthzGuard({ authenticate: () => sandbox, audit: (e) => void events.push(e) });
    const decisions: Decision[] = [];
    for (const procedure of ["/guardtest.v1.WorkloadService/Unary", "/guardtest.v1.PublicService/Unary", "/nope.Service/Method"]) {
      const call = await guard.authorize({ procedure, header: new Headers(), peer: undefined });
      decisions.push(call.decision, await call.checkMessage(create(MsgSchema, { sandboxId: "sb-own" })));
      decisions.push(await call.checkMessage(create(MsgSchema, { sandboxId: "sb-other" })), call.checkEnd());
    }
    expect(decisions.length).toBe(12);
    for (const decision of decisions) expect(deeplyFrozen(decision), JSON.stringify(decision)).toEqual([]);
    expect(events.length).toBeGreaterThan(0);
  });

  it("a decision cannot be changed by whoever receives it", () => {
    const entry = compileTables([table]).get("/guardtest.v1.WorkloadService/Unary");
    if (entry === undefined) throw new Error("no entry");
    const admitted = decide(entry.checked, sandbox, create(MsgSchema, { sandboxId: "sb-own" }));
    expect(admitted).toMatchObject({ allowed: true, alternative: 1 });
    expect(() => {
      (admitted as { allowed: boolean }).allowed = false;
    }).toThrow(TypeError);
    const denied = decide(entry.checked, undefined, create(MsgSchema, { sandboxId: "sb-own" }));
    expect(() => {
      (denied as { allowed: boolean }).allowed = true;
    }).toThrow(TypeError);
    // The next call gets the same answers.
    expect(decide(entry.checked, sandbox, create(MsgSchema, { sandboxId: "sb-own" }))).toMatchObject({ allowed: true });
    expect(decide(entry.checked, undefined, create(MsgSchema, {}))).toMatchObject({ allowed: false });
  });

  it("a prepared rule and its table entry, down to what the relation checker is shown", () => {
    const relations = defineServiceAuthz(WorkloadService, {
      unary: { access: "authenticated", relations: [{ resourceType: "sandbox", idField: "sandbox_id", permission: "write" }] },
      serverStream: rule,
      clientStream: rule,
      bidi: rule,
      get: rule,
    } as never);
    for (const entry of compileTables([relations]).values()) {
      expect(deeplyFrozen(entry, entry.procedure)).toEqual([]);
      expect(deeplyFrozen(entry.checked.relationUses)).toEqual([]);
    }
  });
});
