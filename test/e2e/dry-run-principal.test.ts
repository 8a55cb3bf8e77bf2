// principalOf never hands a handler a principal its rule did not admit: in dry
// run such a caller reaches the handler, so principalOf refuses with
// NotAdmittedError and callerOf reads it typed as Principal | undefined.
import { existsSync, readFileSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createClient, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { type CallHandle, callerOf, NotAdmittedError, principalOf } from "protoauthz";
import { createGrpcInterceptor, grpcServiceDefinition } from "protoauthz/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthzGuard } from "../gen/authz_registry.js";
import { UserServiceAuthz, WorkloadServiceAuthz } from "../gen/guardtest/v1/guard_authz.js";
import { type Msg, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { type CallKind, connectTo } from "../support/clients.js";
import { generateDir, runEs } from "../support/generate.js";
import { authenticate, type CallerName, headersFor } from "../support/principals.js";
import { typecheck } from "../support/typecheck.js";

/** What a handler learns about its caller: principalOf's answer, then callerOf's. */
function whoCalls(
  call: CallHandle,
  table: typeof UserServiceAuthz | typeof WorkloadServiceAuthz,
  method: "unary" | "clientStream",
): string {
  let strict: string;
  try {
    const principal = principalOf(call, table as typeof UserServiceAuthz, method);
    strict = principal.subject;
  } catch (error) {
    strict = error instanceof NotAdmittedError ? `${error.name}(${error.reason})` : `unexpected ${String(error)}`;
  }
  const caller = callerOf(call);
  return `${strict} | ${caller.principal?.subject ?? "anonymous"} admitted=${caller.admitted} wouldDeny=${caller.wouldDeny ?? "-"}`;
}

const tables = new Map<string, typeof UserServiceAuthz | typeof WorkloadServiceAuthz>([
  [UserService.typeName, UserServiceAuthz],
  [WorkloadService.typeName, WorkloadServiceAuthz],
]);

interface Server {
  url: string;
  close(): Promise<void>;
}

function guard(dryRun: boolean) {
  return createAuthzGuard({ authenticate, dangerouslyDryRun: dryRun });
}

async function connectServer(dryRun: boolean, layers = 1): Promise<Server> {
  const impl = (table: typeof UserServiceAuthz | typeof WorkloadServiceAuthz) => ({
    unary: (_: Msg, ctx: HandlerContext) => ({ text: whoCalls(ctx, table, "unary") }),
    async clientStream(reqs: AsyncIterable<Msg>, ctx: HandlerContext) {
      for await (const _ of reqs) {
        // Later messages are checked as they arrive: read the caller after them.
      }
      return { text: whoCalls(ctx, table, "clientStream") };
    },
  });
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) => {
        router.service(UserService, impl(UserServiceAuthz));
        router.service(WorkloadService, impl(WorkloadServiceAuthz));
      },
      interceptors: Array.from({ length: layers }, () => guard(dryRun).connect),
    }),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function grpcServer(dryRun: boolean, layers = 1): Promise<Server> {
  const server = new grpc.Server({ interceptors: Array.from({ length: layers }, () => createGrpcInterceptor(guard(dryRun).guard)) });
  for (const service of [UserService, WorkloadService]) {
    const table = tables.get(service.typeName) ?? UserServiceAuthz;
    server.addService(grpcServiceDefinition(service), {
      unary(call: grpc.ServerUnaryCall<Msg, unknown>, callback: grpc.sendUnaryData<unknown>) {
        callback(null, { sandboxId: "", text: whoCalls(call, table, "unary") });
      },
      clientStream(call: grpc.ServerReadableStream<Msg, unknown>, callback: grpc.sendUnaryData<unknown>) {
        call.on("data", () => {});
        call.on("end", () => callback(null, { sandboxId: "", text: whoCalls(call, table, "clientStream") }));
      },
      serverStream: (call: grpc.ServerWritableStream<Msg, unknown>) => call.end(),
      bidi: (call: grpc.ServerDuplexStream<Msg, unknown>) => call.end(),
      get: (_: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, {}),
    });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

async function ask(
  server: Server,
  protocol: "connect" | "grpc",
  service: typeof UserService,
  kind: CallKind,
  caller: CallerName,
  ids: string[],
) {
  const client = connectTo(server.url, protocol);
  const api = createClient(service, client.transport);
  const headers = headersFor(caller);
  try {
    if (kind === "unary") return (await api.unary({ sandboxId: ids[0] ?? "", text: "m" }, { headers })).text;
    async function* messages() {
      for (const sandboxId of ids) yield { sandboxId, text: "m" };
    }
    return (await api.clientStream(messages(), { headers })).text;
  } finally {
    client.close();
  }
}

const frameworks = { "Connect-ES": connectServer, "grpc-js": grpcServer } as const;

for (const [framework, start] of Object.entries(frameworks)) {
  describe(`dry run, ${framework}`, () => {
    let server: Server;
    const warn = console.warn;
    beforeAll(async () => {
      console.warn = () => {};
      server = await start(true);
      console.warn = warn;
    });
    afterAll(() => server.close());
    const protocol = framework === "grpc-js" ? "grpc" : "connect";

    it("an admitted caller: principalOf returns it, callerOf says admitted", async () => {
      expect(await ask(server, protocol, UserService, "unary", "user", ["x"])).toBe("u-1 | u-1 admitted=true wouldDeny=-");
    });

    it("a caller the rule would deny still gets through, but principalOf refuses; callerOf names it and why", async () => {
      expect(await ask(server, protocol, UserService, "unary", "service", ["x"])).toBe(
        "NotAdmittedError(kind_not_allowed) | svc-1 admitted=false wouldDeny=kind_not_allowed",
      );
      expect(await ask(server, protocol, UserService, "unary", "anonymous", ["x"])).toBe(
        "NotAdmittedError(no_credentials) | anonymous admitted=false wouldDeny=no_credentials",
      );
      expect(await ask(server, protocol, UserService, "clientStream", "badToken", ["x"])).toBe(
        "NotAdmittedError(invalid_credentials) | anonymous admitted=false wouldDeny=invalid_credentials",
      );
    });

    it("a stream denied by a later message: the handler sees it after reading that message", async () => {
      const WorkloadClientService = WorkloadService as unknown as typeof UserService;
      expect(await ask(server, protocol, WorkloadClientService, "unary", "sandbox", ["sb-other"])).toBe(
        "NotAdmittedError(binding_mismatch) | sb-own admitted=false wouldDeny=binding_mismatch",
      );
      expect(await ask(server, protocol, WorkloadClientService, "clientStream", "sandbox", ["sb-own", "sb-other"])).toBe(
        "NotAdmittedError(binding_changed) | sb-own admitted=false wouldDeny=binding_changed",
      );
      expect(await ask(server, protocol, WorkloadClientService, "clientStream", "sandbox", ["sb-own", "sb-own"])).toBe(
        "sb-own | sb-own admitted=true wouldDeny=-",
      );
    });
  });
}

describe("enforced (no dry run)", () => {
  it("principalOf and callerOf agree on every admitted call", async () => {
    const server = await connectServer(false);
    try {
      expect(await ask(server, "connect", UserService, "clientStream", "user", ["x"])).toBe("u-1 | u-1 admitted=true wouldDeny=-");
    } finally {
      await server.close();
    }
  });
});

describe("two guards on one server", () => {
  for (const [framework, start] of Object.entries(frameworks)) {
    it(`${framework}: both admit the call, and the handler reads the verdict of the one nearest to it`, async () => {
      const server = await start(false, 2);
      const protocol = framework === "grpc-js" ? "grpc" : "connect";
      try {
        expect(await ask(server, protocol, UserService, "unary", "user", ["x"])).toBe("u-1 | u-1 admitted=true wouldDeny=-");
        expect(await ask(server, protocol, UserService, "clientStream", "user", ["x", "y"])).toBe("u-1 | u-1 admitted=true wouldDeny=-");
        await expect(ask(server, protocol, UserService, "unary", "service", ["x"])).rejects.toThrow(/permission denied/);
      } finally {
        await server.close();
      }
    });
  }
});

describe("types", () => {
  const caseDir = join(import.meta.dirname, "../golden/undeclared-audit");
  const params = existsSync(join(caseDir, "params.txt")) ? readFileSync(join(caseDir, "params.txt"), "utf8").trim() : "";
  const generated = generateDir(join(caseDir, "input"), params);
  const files = new Map([...runEs(generated.request), ...generated.files]);
  const check = (body: string) =>
    typecheck(
      new Map([
        ...files,
        [
          "usage.ts",
          [
            'import type { HandlerContext } from "@connectrpc/connect";',
            'import { callerOf } from "protoauthz";',
            'import { principalOf } from "./authz_registry.js";',
            'import { LegacyServiceAuthz } from "./legacy/v1/legacy_authz.js";',
            "export const imported = [callerOf, principalOf, LegacyServiceAuthz];",
            `export function use(ctx: HandlerContext) {\n${body}\n}`,
          ].join("\n"),
        ],
      ]),
      "audit-usage",
    );

  it("an audit rule's principal may be undefined: the compiler makes the handler say what happens without one", () => {
    expect(check('  return principalOf(ctx, LegacyServiceAuthz, "notYet")?.subject ?? "anonymous";')).toEqual([]);
    expect(check('  return principalOf(ctx, LegacyServiceAuthz, "notYet").subject;').join("\n")).toMatch(/possibly 'undefined'/);
    expect(check('  return principalOf(ctx, LegacyServiceAuthz, "declared").subject;')).toEqual([]);
  });

  it("callerOf is typed Principal | undefined whatever the rule", () => {
    expect(check("  return callerOf(ctx).principal.subject;").join("\n")).toMatch(/possibly 'undefined'/);
    expect(check("  const c = callerOf(ctx);\n  return c.admitted ? c.principal?.subject : c.wouldDeny;")).toEqual([]);
  });
});
