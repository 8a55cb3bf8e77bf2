import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, type DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext, Interceptor, ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { type Authenticate, type AuthzEvent, callerOf, createGuard, type GuardOptions, type ServiceAuthz } from "protoauthz";
import { createConnectInterceptor, guardContextValues, rejectMalformedAuthority } from "protoauthz/connect";
import { createGrpcInterceptor, grpcServiceDefinition } from "protoauthz/grpc-js";
import type { AuthzPrincipal } from "../gen/authz_registry.js";
import { authzVocabulary, createAuthzGuard, principalOf } from "../gen/authz_registry.js";
import {
  ClosedServiceAuthz,
  ConditionServiceAuthz,
  PublicServiceAuthz,
  UserServiceAuthz,
  WorkloadServiceAuthz,
} from "../gen/guardtest/v1/guard_authz.js";
import {
  ClosedService,
  ConditionService,
  type Msg,
  MsgSchema,
  PublicService,
  UserService,
  WorkloadService,
} from "../gen/guardtest/v1/guard_pb.js";
import { authenticate as tokenTableAuthenticate } from "./principals.js";

export interface ServerOptions {
  interceptors?: Interceptor[];
  dryRun?: boolean;
  authenticate?: Authenticate<AuthzPrincipal>;
  /** Serve TLS, requesting (not requiring) client certificates signed by `ca`. */
  tls?: { key: string; cert: string; ca: string };
  /** More guard options: timeouts, a relation checker, another vocabulary than the generated one. */
  guard?: Pick<GuardOptions<AuthzPrincipal>, "authenticateTimeoutMs" | "relations" | "relationTimeoutMs" | "audit" | "vocabulary">;
  /** Tables written in code that replace the generated ones of their services. */
  tables?: readonly ServiceAuthz[];
}

/** The guard every test server runs: the generated tables, some replaced by tables in code. */
function guardFor(seen: Observed, extra: ServerOptions) {
  const replaced = new Set((extra.tables ?? []).map((t) => t.service));
  const guard = createGuard<AuthzPrincipal>([...[...tables.values()].filter((t) => !replaced.has(t.service)), ...(extra.tables ?? [])], {
    vocabulary: authzVocabulary,
    authenticate: extra.authenticate ?? tokenTableAuthenticate,
    audit: (e) => seen.events.push(e),
    dangerouslyDryRun: extra.dryRun ?? false,
    ...extra.guard,
  });
  return { connect: createConnectInterceptor(guard), grpc: createGrpcInterceptor(guard) };
}

export const services = [PublicService, UserService, WorkloadService, ClosedService, ConditionService] as const;
const tables = new Map<
  DescService,
  | typeof PublicServiceAuthz
  | typeof UserServiceAuthz
  | typeof WorkloadServiceAuthz
  | typeof ClosedServiceAuthz
  | typeof ConditionServiceAuthz
>([
  [PublicService, PublicServiceAuthz],
  [UserService, UserServiceAuthz],
  [WorkloadService, WorkloadServiceAuthz],
  [ClosedService, ClosedServiceAuthz],
  [ConditionService, ConditionServiceAuthz],
]);

/** What handlers saw: every invocation and every request message. */
export interface Observed {
  invocations: string[];
  messages: string[];
  subjects: string[];
  events: AuthzEvent[];
}

export const newObserved = (): Observed => ({ invocations: [], messages: [], subjects: [], events: [] });

function subjectOf(ctx: HandlerContext, service: DescService, method: string): string {
  // Reads the principal the way handlers are meant to: typed, per method.
  const table = tables.get(service);
  if (table === undefined) throw new Error("no table");
  // In dry run, a caller the rule would deny has no principal of the rule's type: read it untyped.
  const caller = callerOf(ctx);
  const principal = caller.admitted ? (principalOf(ctx, table, method as never) as { subject: string } | undefined) : caller.principal;
  return principal?.subject ?? "anonymous";
}

/** The same echo implementation for every test service, recording what it sees. */
function connectImpl(service: DescService, seen: Observed): ServiceImpl<typeof PublicService> {
  const name = service.typeName;
  const record = (method: string, ctx: HandlerContext) => {
    seen.invocations.push(`${name}/${method}`);
    seen.subjects.push(subjectOf(ctx, service, method));
  };
  return {
    unary(req: Msg, ctx) {
      record("unary", ctx);
      seen.messages.push(req.sandboxId);
      return { sandboxId: req.sandboxId, text: "unary" };
    },
    async *serverStream(req: Msg, ctx) {
      record("serverStream", ctx);
      seen.messages.push(req.sandboxId);
      yield { sandboxId: req.sandboxId, text: "1" };
      yield { sandboxId: req.sandboxId, text: "2" };
    },
    async clientStream(reqs: AsyncIterable<Msg>, ctx) {
      record("clientStream", ctx);
      let n = 0;
      for await (const req of reqs) {
        seen.messages.push(req.sandboxId);
        n++;
      }
      return { text: String(n) };
    },
    async *bidi(reqs: AsyncIterable<Msg>, ctx) {
      record("bidi", ctx);
      for await (const req of reqs) {
        seen.messages.push(req.sandboxId);
        yield { sandboxId: req.sandboxId, text: "echo" };
      }
    },
  };
}

export function routes(seen: Observed) {
  return (router: ConnectRouter) => {
    for (const service of services) {
      const impl = connectImpl(service, seen);
      if (service !== WorkloadService) {
        router.service(service as typeof PublicService, impl);
        continue;
      }
      router.service(WorkloadService, {
        ...impl,
        get(req: Msg, ctx: HandlerContext) {
          seen.invocations.push(`${WorkloadService.typeName}/get`);
          seen.subjects.push(subjectOf(ctx, WorkloadService, "get"));
          seen.messages.push(req.sandboxId);
          return { sandboxId: req.sandboxId, text: "get" };
        },
      });
    }
  };
}

export interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The guard as users build it from the generated registry. */
function generatedGuard(seen: Observed, extra: ServerOptions) {
  return createAuthzGuard({
    authenticate: extra.authenticate ?? tokenTableAuthenticate,
    audit: (e) => seen.events.push(e),
    dangerouslyDryRun: extra.dryRun ?? false,
  });
}

/** A Connect server (connect, gRPC and gRPC-web) on 127.0.0.1 over HTTP/2 cleartext. */
export async function startConnectServer(seen: Observed, extra: ServerOptions = {}): Promise<Running> {
  const guard = extra.tables || extra.guard ? guardFor(seen, extra) : generatedGuard(seen, extra);
  const handler = rejectMalformedAuthority(
    connectNodeAdapter({
      routes: routes(seen),
      interceptors: [guard.connect, ...(extra.interceptors ?? [])],
      contextValues: guardContextValues,
    }),
  );
  const server = extra.tls
    ? http2.createSecureServer({ ...extra.tls, requestCert: true, rejectUnauthorized: false, allowHTTP1: false }, handler)
    : http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${extra.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A grpc-js server with the same services, guarded by the grpc-js interceptor. */
export async function startGrpcServer(seen: Observed, extra: ServerOptions = {}): Promise<Running> {
  const guard = extra.tables || extra.guard ? guardFor(seen, extra) : generatedGuard(seen, extra);
  const server = new grpc.Server({ interceptors: [guard.grpc] });
  for (const service of services) server.addService(grpcServiceDefinition(service), grpcImpl(service, seen));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials(extra.tls), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    url: `${extra.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

function grpcImpl(service: DescService, seen: Observed): grpc.UntypedServiceImplementation {
  const name = service.typeName;
  const table = tables.get(service);
  if (table === undefined) throw new Error("no table");
  const record = (method: string, call: { metadata: grpc.Metadata }) => {
    seen.invocations.push(`${name}/${method}`);
    const caller = callerOf(call);
    const principal = caller.admitted ? (principalOf(call, table, method as never) as { subject: string } | undefined) : caller.principal;
    seen.subjects.push(principal?.subject ?? "anonymous");
  };
  const impl: grpc.UntypedServiceImplementation = {
    unary(call: grpc.ServerUnaryCall<Msg, unknown>, callback: grpc.sendUnaryData<unknown>) {
      record("unary", call);
      seen.messages.push(call.request.sandboxId);
      callback(null, create(MsgSchema, { sandboxId: call.request.sandboxId, text: "unary" }));
    },
    serverStream(call: grpc.ServerWritableStream<Msg, unknown>) {
      record("serverStream", call);
      seen.messages.push(call.request.sandboxId);
      call.write({ sandboxId: call.request.sandboxId, text: "1" });
      call.write({ sandboxId: call.request.sandboxId, text: "2" });
      call.end();
    },
    clientStream(call: grpc.ServerReadableStream<Msg, unknown>, callback: grpc.sendUnaryData<unknown>) {
      record("clientStream", call);
      let n = 0;
      call.on("data", (req: Msg) => {
        seen.messages.push(req.sandboxId);
        n++;
      });
      call.on("end", () => callback(null, { text: String(n) }));
    },
    bidi(call: grpc.ServerDuplexStream<Msg, unknown>) {
      record("bidi", call);
      call.on("data", (req: Msg) => {
        seen.messages.push(req.sandboxId);
        call.write({ sandboxId: req.sandboxId, text: "echo" });
      });
      call.on("end", () => call.end());
    },
  };
  if (service === WorkloadService) {
    impl.get = (call: grpc.ServerUnaryCall<Msg, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      record("get", call);
      seen.messages.push(call.request.sandboxId);
      callback(null, { sandboxId: call.request.sandboxId, text: "get" });
    };
  }
  return impl;
}

function credentials(tls: ServerOptions["tls"]): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  // grpc-js only exposes client certificates it was told to check.
  return grpc.ServerCredentials.createSsl(
    Buffer.from(tls.ca),
    [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }],
    true,
  );
}
