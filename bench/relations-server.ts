// A relation-checked benchmark server in its own process (so that the
// client's work does not share its CPU count), with the embedded SpiceDB of
// examples/workspaces in it: `<guard|hand-written>`. WorkspaceService/Use
// needs workspace#use, checked either by the generated guard with
// protoauthz/spicedb or by a hand-written interceptor making one
// CheckPermission call. Prints its port, then answers each line on stdin with
// its CPU time so far (µs).
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { v1 } from "@authzed/authzed-node";
import { isMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { AuthnRequest } from "protoauthz";
import { createSpiceDBChecker, embeddedClient } from "protoauthz/spicedb";
import { type AuthzPrincipal, createAuthzGuard } from "../test/gen/relations/authz_registry.js";
import { WorkspaceRequestSchema, WorkspaceService } from "../test/gen/relations/relationstest/v1/workspaces_pb.js";
import { startWorkspaces } from "../test/support/spicedb.js";

const mode = process.argv[2];
const alice: AuthzPrincipal = { kind: "user", subject: "alice", scopes: [], roles: [], attributes: {} };
// A static authenticator, the same in both modes: the benchmark measures the relation check.
const principalOf = (header: { get(name: string): string | null }): AuthzPrincipal | undefined =>
  header.get("authorization") === "Bearer alice" ? alice : undefined;

const engine = await startWorkspaces();
const permissions = engine.permissions().promises;

/** What a service without protoauthz writes: authenticate, read the id, one CheckPermission. */
const handWritten: Interceptor = (next) => async (req) => {
  const principal = principalOf(req.header);
  if (principal === undefined) throw new ConnectError("unauthenticated", Code.Unauthenticated);
  if (req.stream || !isMessage(req.message, WorkspaceRequestSchema)) throw new ConnectError("permission denied", Code.PermissionDenied);
  const { workspaceId } = req.message;
  const answer = await permissions.checkPermission(
    v1.CheckPermissionRequest.create({
      consistency: { requirement: { oneofKind: "minimizeLatency", minimizeLatency: true } },
      resource: { objectType: "workspace", objectId: workspaceId },
      permission: "use",
      subject: { object: { objectType: principal.kind, objectId: principal.subject }, optionalRelation: "" },
    }),
  );
  if (answer.permissionship !== v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION) {
    throw new ConnectError("permission denied", Code.PermissionDenied);
  }
  return next(req);
};

const interceptor =
  mode === "guard"
    ? createAuthzGuard({
        authenticate: (request: AuthnRequest) => principalOf(request.header),
        relations: await createSpiceDBChecker(embeddedClient(engine)),
      }).connect
    : handWritten;

const routes = (router: ConnectRouter) =>
  router.service(WorkspaceService, {
    use: (req) => ({ text: req.workspaceId }),
    exec: () => ({}),
    delete: () => ({}),
    move: () => ({}),
    upload: async () => ({}),
    async *chat() {},
  });
const server = http2.createServer(connectNodeAdapter({ routes, interceptors: [interceptor] }));
server.listen(0, "127.0.0.1", () => console.log((server.address() as AddressInfo).port));

process.stdin.on("data", (data) => {
  if (data.toString().startsWith("exit")) {
    engine.close();
    process.exit(0);
  }
  const { user, system } = process.cpuUsage();
  console.log(user + system);
});
