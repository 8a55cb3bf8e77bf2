// The relation tests' services (test/proto/relationstest) behind the guard
// generated for them, on a Connect server (Connect, gRPC, gRPC-web) and a
// grpc-js server, on 127.0.0.1 port 0. Handlers record what they ran.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { AuthenticationError, type AuthnRequest, type AuthzEvent, type GuardOptions } from "protoauthz";
import { grpcServiceDefinition } from "protoauthz/grpc-js";
import { type AuthzPrincipal, createAuthzGuard } from "../gen/relations/authz_registry.js";
import { type SandboxRequest, type WorkspaceRequest, WorkspaceService } from "../gen/relations/relationstest/v1/workspaces_pb.js";

const person = (subject: string, scopes: string[], roles: AuthzPrincipal["roles"] = []): AuthzPrincipal =>
  ({ kind: "user", subject, scopes, roles, attributes: { tenant: "t1" } }) as AuthzPrincipal;

/**
 * Callers by bearer token. Their relationships are in
 * examples/workspaces/relationships.txt: alice is a member of acme, bob its
 * admin, dave a member of globex, erin owns sb-1 (in acme), carol has none.
 */
export const principals: Record<string, AuthzPrincipal> = {
  alice: person("alice", ["things.write"]),
  bob: person("bob", ["things.write"]),
  carol: person("carol", ["things.write"]),
  dave: person("dave", ["things.write"]),
  erin: person("erin", ["things.write"]),
  // alice's relationships without the write scope.
  aliceReadOnly: person("alice", ["things.read"]),
  // A platform admin by role, with no relationships.
  root: person("root", [], ["admin"]),
  // A sandbox workload: a principal kind no relation rule admits.
  bot: { kind: "sandbox", subject: "sb-1", scopes: ["things.write"], roles: [], attributes: { tenant: "t1" } } as AuthzPrincipal,
};

/**
 * The caller of the bearer token; a `zedtoken` header becomes its `zedtoken`
 * attribute, as an app copies the ZedToken of the client's last write.
 */
export function authenticate(request: AuthnRequest): AuthzPrincipal | undefined {
  const header = request.header.get("authorization");
  if (header === null) return undefined;
  const principal = Object.hasOwn(principals, header.replace(/^Bearer /, "")) ? principals[header.replace(/^Bearer /, "")] : undefined;
  if (principal === undefined) throw new AuthenticationError("unknown token");
  const zedtoken = request.header.get("zedtoken");
  return zedtoken === null ? principal : { ...principal, attributes: { ...principal.attributes, zedtoken } };
}

export interface WorkspaceServers {
  readonly connectUrl: string;
  readonly grpcUrl: string;
  /** `Service/method resource` of every handler run. */
  readonly handled: string[];
  readonly events: AuthzEvent[];
  close(): Promise<void>;
}

type Relations = Pick<GuardOptions<AuthzPrincipal>, "relations" | "relationTimeoutMs">;

/** Both servers, one guard each, sharing the relation checker. */
export async function startWorkspaceServers(options: Relations): Promise<WorkspaceServers> {
  const handled: string[] = [];
  const events: AuthzEvent[] = [];
  const guard = createAuthzGuard({ authenticate, audit: (event) => events.push(event), ...options });
  const ran = (method: string, resource: string) => {
    handled.push(`${method} ${resource}`);
    return { text: resource };
  };

  const routes = (router: ConnectRouter) =>
    router.service(WorkspaceService, {
      use: (req) => ran("use", req.workspaceId),
      exec: (req) => ran("exec", req.sandboxId),
      delete: (req) => ran("delete", req.sandboxId),
      move: (req) => ran("move", req.sandboxId),
      async upload(reqs) {
        const ids: string[] = [];
        for await (const req of reqs) ids.push(req.workspaceId);
        return ran("upload", ids.join(","));
      },
      async *chat(reqs) {
        for await (const req of reqs) yield ran("chat", req.workspaceId);
      },
    });
  const h2 = http2.createServer(connectNodeAdapter({ routes, interceptors: [guard.connect] }));
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));

  const grpcServer = new grpc.Server({ interceptors: [guard.grpc] });
  const unary =
    <Req>(method: string, id: (req: Req) => string): grpc.handleUnaryCall<Req, unknown> =>
    (call, callback) =>
      callback(null, ran(method, id(call.request)));
  grpcServer.addService(grpcServiceDefinition(WorkspaceService), {
    use: unary("use", (req: WorkspaceRequest) => req.workspaceId),
    exec: unary("exec", (req: SandboxRequest) => req.sandboxId),
    delete: unary("delete", (req: SandboxRequest) => req.sandboxId),
    move: unary("move", (req: SandboxRequest) => req.sandboxId),
    upload(call: grpc.ServerReadableStream<WorkspaceRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const ids: string[] = [];
      call.on("data", (req: WorkspaceRequest) => ids.push(req.workspaceId));
      call.on("end", () => callback(null, ran("upload", ids.join(","))));
    },
    chat(call: grpc.ServerDuplexStream<WorkspaceRequest, unknown>) {
      call.on("data", (req: WorkspaceRequest) => call.write(ran("chat", req.workspaceId)));
      call.on("end", () => call.end());
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );

  return {
    connectUrl: `http://127.0.0.1:${(h2.address() as AddressInfo).port}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    handled,
    events,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => h2.close(() => resolve()));
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
    },
  };
}
