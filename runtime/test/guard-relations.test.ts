// any_of and relations, enforced by the guard against an in-memory engine:
// order (static first, engine last), one round trip, outcomes, deadlines,
// refusal to start. Through real servers: guard-relations-transports.test.ts.
import { create } from "@bufbuild/protobuf";
import { AuthzConfigError, type AuthzEvent, createGuard, type GuardOptions, type RelationChecker } from "protoauthz";
import { describe, expect, it } from "vitest";
import type { AuthzPrincipal } from "../../test/gen/authz_registry.js";
import { MsgSchema } from "../../test/gen/guardtest/v1/guard_pb.js";
import { authenticate, headersFor } from "../../test/support/principals.js";
import { memoryChecker } from "../../test/support/relations.js";
import { facts, workloadAuthz } from "../../test/support/workload-relations.js";

function guardWith(checker: RelationChecker | undefined, extra: Partial<GuardOptions<AuthzPrincipal>> = {}) {
  const events: AuthzEvent[] = [];
  const guard = createGuard<AuthzPrincipal>([workloadAuthz], {
    authenticate,
    audit: (e) => events.push(e),
    ...(checker ? { relations: checker } : {}),
    ...extra,
  });
  /** One unary-style decision: authorize, then the one message. */
  const call = async (method: string, caller: Parameters<typeof headersFor>[0], message: { sandboxId?: string; tenantNumber?: string }) => {
    const auth = await guard.authorize({
      procedure: `/guardtest.v1.WorkloadService/${method}`,
      header: new Headers(headersFor(caller)),
      peer: undefined,
    });
    if (!auth.decision.allowed) return auth.decision;
    return auth.checkMessage(create(MsgSchema, message));
  };
  return { guard, events, call };
}

describe("any_of", () => {
  it("tries alternatives that need no engine first, and says which one admitted", async () => {
    const { checker, seen } = memoryChecker(facts);
    const { call, events } = guardWith(checker);
    expect(await call("Unary", "sandbox", { sandboxId: "sb-own" })).toMatchObject({ allowed: true, alternative: 1 });
    // The admin alternative is declared after the relation one, and still decides without the engine.
    expect(await call("Unary", "superUser", { sandboxId: "sb-9" })).toMatchObject({ allowed: true, alternative: 3 });
    expect(seen.roundTrips).toBe(0);
    expect(await call("Unary", "user", { sandboxId: "sb-1" })).toMatchObject({ allowed: true, alternative: 2, relation: "sandbox#write" });
    expect(seen.roundTrips).toBe(1);
    expect(events.map((e) => [e.allowed, e.alternative, e.relation])).toEqual([
      [true, 1, undefined],
      [true, 3, undefined],
      [true, 2, "sandbox#write"],
    ]);
  });

  it("denies when no alternative admits, reporting the one the caller came closest to", async () => {
    const { checker, seen } = memoryChecker(facts);
    const { call } = guardWith(checker);
    expect(await call("Unary", "user", { sandboxId: "sb-3" })).toMatchObject({
      allowed: false,
      reason: "relation_denied",
      code: "permission_denied",
      alternative: 2,
      relation: "sandbox#write",
    });
    expect(await call("Unary", "sandbox", { sandboxId: "sb-other" })).toMatchObject({ reason: "binding_mismatch", alternative: 1 });
    expect(await call("Unary", "service", { sandboxId: "sb-1" })).toMatchObject({ reason: "kind_not_allowed" });
    expect(await call("Unary", "anonymous", { sandboxId: "sb-1" })).toMatchObject({ reason: "no_credentials", code: "unauthenticated" });
    expect(seen.roundTrips).toBe(1); // only the user who passed every static check
  });
});

describe("relations", () => {
  it("the engine is never asked for callers the static checks deny", async () => {
    const { checker, seen } = memoryChecker(facts);
    const { call } = guardWith(checker);
    expect(await call("ServerStream", "anonymous", { sandboxId: "sb-1", tenantNumber: "7" })).toMatchObject({ code: "unauthenticated" });
    expect(await call("ServerStream", "sandbox", { sandboxId: "sb-1", tenantNumber: "7" })).toMatchObject({ reason: "kind_not_allowed" });
    expect(await call("ServerStream", "userNoScope", { sandboxId: "sb-1", tenantNumber: "7" })).toMatchObject({ reason: "missing_scope" });
    expect(seen.roundTrips).toBe(0);
  });

  it("asks every relation of a call in one round trip", async () => {
    const { checker, seen } = memoryChecker(facts);
    const { call } = guardWith(checker);
    expect(await call("ServerStream", "user", { sandboxId: "sb-1", tenantNumber: "7" })).toMatchObject({
      allowed: true,
      relation: "sandbox#write & tenant#member",
    });
    expect(await call("ServerStream", "user", { sandboxId: "sb-1", tenantNumber: "8" })).toMatchObject({
      reason: "relation_denied",
      relation: "tenant#member",
    });
    expect(seen.roundTrips).toBe(2);
    expect(seen.queries[0]).toEqual([
      { resourceType: "sandbox", resourceId: "sb-1", permission: "write" },
      { resourceType: "tenant", resourceId: "7", permission: "member" },
    ]);
  });

  it("an empty or zero id is denied without asking, in every representation of zero", async () => {
    const { checker, seen } = memoryChecker(facts);
    const { call } = guardWith(checker);
    expect(await call("ServerStream", "user", { sandboxId: "", tenantNumber: "7" })).toMatchObject({ reason: "relation_id_unset" });
    for (const zero of ["0", "-0", "00"]) {
      expect(await call("ServerStream", "user", { sandboxId: "sb-1", tenantNumber: zero })).toMatchObject({
        reason: "relation_id_unset",
        relation: "tenant#member",
      });
    }
    expect(seen.roundTrips).toBe(0);
    // An integer id is asked in canonical decimal.
    expect(await call("ServerStream", "user", { sandboxId: "sb-1", tenantNumber: "007" })).toMatchObject({ allowed: true });
    expect(seen.queries[0]?.[1]?.resourceId).toBe("7");
  });

  it("no permission and a resource that does not exist are the same denial", async () => {
    const { checker } = memoryChecker(facts);
    const { call } = guardWith(checker);
    const noPermission = await call("ClientStream", "userNoRole", { sandboxId: "sb-1" });
    const missing = await call("ClientStream", "user", { sandboxId: "sb-does-not-exist" });
    expect(noPermission).toEqual(missing);
  });

  it("an engine that fails, throws, answers nonsense or is slow is Unavailable, never an allow", async () => {
    const failing = guardWith(memoryChecker(facts, { fail: true }).checker);
    expect(await failing.call("ClientStream", "user", { sandboxId: "sb-1" })).toMatchObject({
      allowed: false,
      reason: "relation_unavailable",
      code: "unavailable",
      detail: "Error: engine unreachable",
    });
    const throwing = guardWith({
      check: () => {
        throw new Error("sync");
      },
    });
    expect(await throwing.call("ClientStream", "user", { sandboxId: "sb-1" })).toMatchObject({ reason: "relation_unavailable" });
    const short = guardWith({ check: async () => [] });
    expect(await short.call("ClientStream", "user", { sandboxId: "sb-1" })).toMatchObject({ reason: "relation_unavailable" });
    const truthy = guardWith({ check: async () => ["yes"] as never });
    expect(await truthy.call("ClientStream", "user", { sandboxId: "sb-1" })).toMatchObject({ reason: "relation_denied" });

    const slow = memoryChecker(facts, { delayMs: 5000 });
    const timed = guardWith(slow.checker, { relationTimeoutMs: 30 });
    const started = Date.now();
    expect(await timed.call("ClientStream", "user", { sandboxId: "sb-1" })).toMatchObject({
      reason: "relation_timeout",
      code: "unavailable",
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(slow.seen.aborted).toBe(1);
    expect(timed.events.at(-1)).toMatchObject({ reason: "relation_timeout", code: "unavailable", detail: "no answer within 30 ms" });
  });

  it("a rule without relations is decided without a promise", async () => {
    const { guard } = guardWith(memoryChecker(facts).checker);
    const auth = await guard.authorize({
      procedure: "/guardtest.v1.WorkloadService/Unary",
      header: new Headers(headersFor("sandbox")),
      peer: undefined,
    });
    const decision = auth.checkMessage(create(MsgSchema, { sandboxId: "sb-own" }));
    expect(decision).not.toBeInstanceOf(Promise);
    expect(decision).toMatchObject({ allowed: true });
  });
});

describe("a guard whose relations cannot be checked refuses to start", () => {
  const problemsOf = (options: Partial<GuardOptions<AuthzPrincipal>>) => {
    try {
      createGuard<AuthzPrincipal>([workloadAuthz], { authenticate, ...options });
    } catch (error) {
      expect(error).toBeInstanceOf(AuthzConfigError);
      return (error as AuthzConfigError).problems.map(String);
    }
    throw new Error("the guard started");
  };

  it("without a checker, naming every procedure that needs one", () => {
    expect(problemsOf({})).toEqual([
      '/guardtest.v1.WorkloadService/Unary: the rule uses relations, but the guard has no relation checker (pass relations: createSpiceDBChecker({ client: embeddedClient(…) or clusterClient(…) }) from "protoauthz/spicedb", or your own RelationChecker)',
      '/guardtest.v1.WorkloadService/ServerStream: the rule uses relations, but the guard has no relation checker (pass relations: createSpiceDBChecker({ client: embeddedClient(…) or clusterClient(…) }) from "protoauthz/spicedb", or your own RelationChecker)',
      '/guardtest.v1.WorkloadService/ClientStream: the rule uses relations, but the guard has no relation checker (pass relations: createSpiceDBChecker({ client: embeddedClient(…) or clusterClient(…) }) from "protoauthz/spicedb", or your own RelationChecker)',
      '/guardtest.v1.WorkloadService/Bidi: the rule uses relations, but the guard has no relation checker (pass relations: createSpiceDBChecker({ client: embeddedClient(…) or clusterClient(…) }) from "protoauthz/spicedb", or your own RelationChecker)',
    ]);
  });

  it("when the checker rejects the relations the tables use, listing its problems", () => {
    const { checker, seen } = memoryChecker(facts, { problems: ["schema has no permission tenant#member", "sandbox#write: kind user"] });
    expect(problemsOf({ relations: checker })).toEqual(["schema has no permission tenant#member", "sandbox#write: kind user"]);
    expect(seen.uses).toContainEqual({
      procedure: "/guardtest.v1.WorkloadService/Unary",
      resourceType: "sandbox",
      permission: "write",
      principals: ["user"],
    });
    expect(seen.uses).toHaveLength(5); // one per relation of each rule and alternative
  });

  it("when the checker is not one, or its validate throws", () => {
    expect(problemsOf({ relations: {} as never })).toEqual([
      'relations: not a RelationChecker: it has no check(principal, queries, options) method (pass relations: createSpiceDBChecker({ client: embeddedClient(…) or clusterClient(…) }) from "protoauthz/spicedb", or your own RelationChecker)',
    ]);
    const validate = () => {
      throw new Error("schema unreadable");
    };
    expect(problemsOf({ relations: { validate, check: async () => [] } })).toEqual([
      "the relation checker failed to validate the tables' relations: Error: schema unreadable",
    ]);
  });

  it("when a timeout is not a positive number", () => {
    expect(problemsOf({ relations: memoryChecker(facts).checker, relationTimeoutMs: 0 })[0]).toMatch(/relationTimeoutMs is 0/);
    expect(problemsOf({ authenticateTimeoutMs: Number.NaN })[0]).toMatch(/authenticateTimeoutMs is NaN/);
  });
});
