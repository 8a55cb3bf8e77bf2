// A benchmark server in its own process, so that the client's work does not
// share a core with it: `<connect|grpc> <unguarded|pass-through|guarded|guarded-table|guarded-condition|jwt-…>`;
// prints its port, then answers each line on stdin with its CPU time so far (µs)
// and the number of calls its handler served; "exit" ends it.
// The jwt-… modes verify real ES256 tokens (public key in BENCH_JWT_PUBLIC_KEY).
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { type AuthnRequest, createGuard, defineServiceAuthz } from "protoauthz";
import { createConnectInterceptor } from "protoauthz/connect";
import { createGrpcInterceptor, grpcServiceDefinition } from "protoauthz/grpc-js";
import { type AuthzPrincipal, createAuthzGuard } from "../test/gen/authz_registry.js";
import { type Msg, WorkloadService } from "../test/gen/guardtest/v1/guard_pb.js";
import { benchAuthenticate, type JwtMode, jwtModes } from "./jwt-authenticators.js";

const [framework, mode] = process.argv.slice(2);
const jwtMode = jwtModes.includes(mode as JwtMode) ? (mode as JwtMode) : undefined;
const guarded = mode === "guarded" || mode === "guarded-table" || mode === "guarded-condition" || jwtMode !== undefined;
const sandbox: AuthzPrincipal = { kind: "sandbox", subject: "sb-1", scopes: [], roles: [], attributes: { sandbox_id: "sb-1" } };
// A static authenticator: the benchmark measures the guard, not token checks.
const staticAuthenticate = (request: AuthnRequest): AuthzPrincipal | undefined =>
  request.header.get("authorization") === "Bearer sb-1" ? sandbox : undefined;
const authenticate =
  jwtMode === undefined
    ? staticAuthenticate
    : (benchAuthenticate(jwtMode, process.env.BENCH_JWT_PUBLIC_KEY ?? "") as (r: AuthnRequest) => AuthzPrincipal);

let served = 0;

/**
 * guarded-table: the generated WorkloadService rule (kind + binding) as a table
 * in code; guarded-condition: the same table plus a two-clause condition, so
 * that the two differ by the condition alone. Otherwise the generated guard.
 */
const tableRule = {
  access: "authenticated",
  principals: ["sandbox"],
  bindings: [{ field: "sandbox_id", attribute: "sandbox_id" }],
} as const;
const conditionRule = { ...tableRule, conditions: ["request.sandbox_id.startsWith('sb-') && size(request.text) <= 100"] } as const;
function guardInterceptors() {
  if (mode !== "guarded-condition" && mode !== "guarded-table") return createAuthzGuard({ authenticate });
  const rule = mode === "guarded-condition" ? conditionRule : tableRule;
  const table = defineServiceAuthz(WorkloadService, { unary: rule, serverStream: rule, clientStream: rule, bidi: rule, get: rule });
  const guard = createGuard([table], { authenticate });
  return { connect: createConnectInterceptor(guard), grpc: createGrpcInterceptor(guard) };
}

if (framework === "connect") {
  const passThrough: Interceptor = (next) => (req) => next(req);
  const interceptors: Interceptor[] = guarded ? [guardInterceptors().connect] : mode === "pass-through" ? [passThrough] : [];
  const routes = (r: ConnectRouter) =>
    r.service(WorkloadService, {
      unary: (req: Msg) => {
        served++;
        return { sandboxId: req.sandboxId };
      },
      async *serverStream() {},
      async clientStream() {
        return {};
      },
      async *bidi() {},
      get: (req: Msg) => ({ sandboxId: req.sandboxId }),
    });
  const server = http2.createServer(connectNodeAdapter({ routes, interceptors }));
  server.listen(0, "127.0.0.1", () => console.log((server.address() as AddressInfo).port));
} else {
  const passThrough: grpc.ServerInterceptor = (_definition, call) => new grpc.ServerInterceptingCall(call);
  const interceptors = guarded ? [guardInterceptors().grpc] : mode === "pass-through" ? [passThrough] : [];
  const server = new grpc.Server({ interceptors });
  server.addService(grpcServiceDefinition(WorkloadService), {
    unary: (call: grpc.ServerUnaryCall<Msg, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      served++;
      callback(null, { sandboxId: call.request.sandboxId });
    },
  });
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (_e, port) => console.log(port));
}

process.stdin.on("data", (data) => {
  if (data.toString().startsWith("exit")) process.exit(0);
  const { user, system } = process.cpuUsage();
  console.log(`${user + system} ${served}`);
});
