// The guarded NoteService over Connect (HTTP/2) and grpc-js on 127.0.0.1,
// called by every kind of caller over unary and streaming RPCs. Prints the
// matrix and exits 1 when any cell differs from the rules in notes.proto.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { type GrpcServiceImplementation, grpcServiceDefinition } from "protoauthz/grpc-js";
import { type AuthzPrincipal, createAuthzGuard, principalOf } from "./gen/authz_registry.js";
import { NoteServiceAuthz } from "./gen/notes/v1/notes_authz.js";
import { NoteService } from "./gen/notes/v1/notes_pb.js";

type Outcome = "ok" | "unauthenticated" | "denied" | `unexpected: ${string}`;

/** Callers: who they are, and the tenant their requests name. */
const callers: Record<string, { principal: AuthzPrincipal | undefined; tenant: string }> = {
  anonymous: { principal: undefined, tenant: "t1" },
  member: { principal: { kind: "user", subject: "alice", scopes: [], roles: ["member"], attributes: {} }, tenant: "t1" },
  admin: { principal: { kind: "user", subject: "bob", scopes: [], roles: ["admin"], attributes: {} }, tenant: "t1" },
  "own service": { principal: { kind: "service", subject: "indexer", scopes: [], roles: [], attributes: { tenant: "t1" } }, tenant: "t1" },
  "foreign service": {
    principal: { kind: "service", subject: "indexer", scopes: [], roles: [], attributes: { tenant: "t1" } },
    tenant: "t2",
  },
};

const expected: Record<string, Outcome[]> = {
  //           anonymous          member     admin      own service  foreign service
  getNote: ["unauthenticated", "ok", "denied", "denied", "denied"], // admin: its condition is false
  listNotes: ["unauthenticated", "ok", "ok", "denied", "denied"],
  appendNotes: ["unauthenticated", "denied", "denied", "ok", "denied"],
  syncNotes: ["unauthenticated", "denied", "ok", "denied", "denied"],
  purgeNotes: ["denied", "denied", "denied", "denied", "denied"],
  ping: ["ok", "ok", "ok", "ok", "ok"],
};

// The test authenticator: the caller's principal travels as JSON in a header.
const guard = createAuthzGuard({
  authenticate: (request) => {
    const header = request.header.get("x-test-principal");
    return header === null ? undefined : (JSON.parse(header) as AuthzPrincipal);
  },
});

function routes(router: ConnectRouter) {
  router.service(NoteService, {
    getNote: (request, ctx) => ({ text: `${request.id} for ${principalOf(ctx, NoteServiceAuthz, "getNote").subject}` }),
    async *listNotes() {
      yield { text: "a" };
      yield { text: "b" };
    },
    async appendNotes(requests) {
      let appended = 0;
      for await (const _ of requests) appended++;
      return { appended };
    },
    async *syncNotes(requests) {
      for await (const request of requests) yield { text: request.text };
    },
    purgeNotes: () => ({}),
    ping: () => ({}),
  });
}

const grpcHandlers = {
  getNote(call, callback) {
    callback(null, { text: `${call.request.id} for ${principalOf(call, NoteServiceAuthz, "getNote").subject}` });
  },
  listNotes(call) {
    call.write({ text: "a" });
    call.write({ text: "b" });
    call.end();
  },
  appendNotes(call, callback) {
    let appended = 0;
    call.on("data", () => appended++);
    call.on("end", () => callback(null, { appended }));
    call.on("error", () => {});
  },
  syncNotes(call) {
    call.on("data", (request) => call.write({ text: request.text }));
    call.on("end", () => call.end());
    call.on("error", () => {});
  },
  purgeNotes: (_call, callback) => callback(null, {}),
  ping: (_call, callback) => callback(null, {}),
} satisfies GrpcServiceImplementation<typeof NoteService>;

function connectOutcome(error: unknown): Outcome {
  if (!(error instanceof ConnectError)) return `unexpected: ${String(error)}`;
  if (error.code === Code.Unauthenticated) return "unauthenticated";
  if (error.code === Code.PermissionDenied) return "denied";
  return `unexpected: ${Code[error.code]}`;
}

function grpcOutcome(error: unknown): Outcome {
  const code = (error as { code?: number }).code;
  if (code === grpc.status.UNAUTHENTICATED) return "unauthenticated";
  if (code === grpc.status.PERMISSION_DENIED) return "denied";
  return `unexpected: ${String(error)}`;
}

async function connectMatrix(): Promise<Record<string, Outcome[]>> {
  const server = http2.createServer(connectNodeAdapter({ routes, ...guard.connectOptions }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  const client = createClient(NoteService, createConnectTransport({ baseUrl, httpVersion: "2", sessionManager }));
  const result: Record<string, Outcome[]> = {};
  try {
    for (const [, { principal, tenant }] of Object.entries(callers)) {
      const headers: Record<string, string> = principal === undefined ? {} : { "x-test-principal": JSON.stringify(principal) };
      const attempt = async (call: () => Promise<unknown>): Promise<Outcome> => {
        try {
          await call();
          return "ok";
        } catch (error) {
          return connectOutcome(error);
        }
      };
      async function* appends() {
        yield { tenant, text: "one" };
        yield { tenant, text: "two" };
      }
      async function* syncs() {
        yield { text: "hello" };
      }
      const row = {
        getNote: await attempt(() => client.getNote({ id: "n1" }, { headers })),
        listNotes: await attempt(async () => {
          for await (const _ of client.listNotes({}, { headers }));
        }),
        appendNotes: await attempt(() => client.appendNotes(appends(), { headers })),
        syncNotes: await attempt(async () => {
          for await (const _ of client.syncNotes(syncs(), { headers }));
        }),
        purgeNotes: await attempt(() => client.purgeNotes({}, { headers })),
        ping: await attempt(() => client.ping({}, { headers })),
      };
      for (const [method, outcome] of Object.entries(row)) (result[method] ??= []).push(outcome);
    }
  } finally {
    sessionManager.abort();
    await new Promise((resolve) => server.close(resolve));
  }
  return result;
}

async function grpcMatrix(): Promise<Record<string, Outcome[]>> {
  const definition = grpcServiceDefinition(NoteService);
  const server = new grpc.Server({ interceptors: [guard.grpc] });
  server.addService(definition, grpcHandlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Client = grpc.makeGenericClientConstructor(definition, "NoteService");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<
    string,
    (...args: unknown[]) => grpc.ClientReadableStream<unknown> & grpc.ClientDuplexStream<unknown, unknown>
  >;
  const call = (name: string, ...args: unknown[]) => {
    const method = client[name];
    if (method === undefined) throw new Error(`no method ${name}`);
    return method.apply(client, args);
  };
  const unary = (name: string, metadata: grpc.Metadata, request: unknown) =>
    new Promise<Outcome>((resolve) => call(name, request, metadata, (error: unknown) => resolve(error ? grpcOutcome(error) : "ok")));
  const stream = (s: grpc.ClientReadableStream<unknown>) =>
    new Promise<Outcome>((resolve) => {
      s.on("data", () => {});
      s.on("error", (error) => resolve(grpcOutcome(error)));
      s.on("end", () => resolve("ok"));
    });
  const result: Record<string, Outcome[]> = {};
  try {
    for (const [, { principal, tenant }] of Object.entries(callers)) {
      const metadata = new grpc.Metadata();
      if (principal !== undefined) metadata.set("x-test-principal", JSON.stringify(principal));
      const appendNotes = new Promise<Outcome>((resolve) => {
        const writer = call("appendNotes", metadata, (error: unknown) => resolve(error ? grpcOutcome(error) : "ok"));
        writer.write({ tenant, text: "one" });
        writer.write({ tenant, text: "two" });
        writer.end();
      });
      const sync = call("syncNotes", metadata);
      const syncNotes = stream(sync); // listening before the status can arrive
      sync.write({ text: "hello" });
      sync.end();
      const row = {
        getNote: await unary("getNote", metadata, { id: "n1" }),
        listNotes: await stream(call("listNotes", {}, metadata)),
        appendNotes: await appendNotes,
        syncNotes: await syncNotes,
        purgeNotes: await unary("purgeNotes", metadata, {}),
        ping: await unary("ping", metadata, {}),
      };
      for (const [method, outcome] of Object.entries(row)) (result[method] ??= []).push(outcome);
    }
  } finally {
    (client as unknown as grpc.Client).close();
    server.forceShutdown();
  }
  return result;
}

let failures = 0;
for (const [transport, matrix] of [
  ["connect", await connectMatrix()],
  ["grpc-js", await grpcMatrix()],
] as const) {
  console.log(
    `${transport.padEnd(12)} ${Object.keys(callers)
      .map((c) => c.padEnd(16))
      .join("")}`,
  );
  for (const [method, want] of Object.entries(expected)) {
    const got = matrix[method] ?? [];
    const cells = want.map((w, i) => (got[i] === w ? w : `${got[i]}≠${w}`));
    failures += cells.filter((c) => c.includes("≠")).length;
    console.log(`${method.padEnd(12)} ${cells.map((c) => c.padEnd(16)).join("")}`);
  }
}
console.log(failures === 0 ? "matrix: ok" : `matrix: ${failures} cell(s) differ`);
process.exitCode = failures === 0 ? 0 : 1;
