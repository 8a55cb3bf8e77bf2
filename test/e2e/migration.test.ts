// Migration mode: a service with 200 RPCs and no rules adopts protoauthz with
// undeclared=audit, through the real `buf generate` and a real server. The
// CLI across the migration: migration-check.test.ts.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AuthzConfigError, type AuthzEvent, createGuard, defineServiceAuthz, principalOf, type ServiceAuthz } from "protoauthz";
import { createConnectInterceptor } from "protoauthz/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTo, type Protocol } from "../support/clients.js";
import { legacyProto, legacyWorkspaces, undeclared } from "../support/legacy-api.js";
import { authenticate, headersFor } from "../support/principals.js";
import { bufBin } from "../support/request.js";

const work = legacyWorkspaces();
afterAll(() => work.remove());
const workspace = work.workspace;

let dir = "";
let generation: { code: number | null; stderr: string };

beforeAll(() => {
  dir = workspace("audit", legacyProto(), "target=ts, import_extension=js, undeclared=audit, report=AUTHZ.md");
  const run = spawnSync(bufBin, ["generate"], { cwd: dir, encoding: "utf8" });
  generation = { code: run.status, stderr: run.stderr };
});

describe("buf generate with undeclared=audit", () => {
  it("generates an audit rule for each of the 200 RPCs and names each on stderr", () => {
    expect(generation.code).toBe(0);
    const notices = generation.stderr.split("\n").filter((l) => l.includes("generated as audit"));
    expect(notices).toHaveLength(200);
    expect(notices[0]).toMatch(
      /^protoc-gen-authz: legacy\/v1\/legacy\.proto:\d+:\d+: legacy\.v1\.LegacyService\.M000: no rule, .*NOT protected/,
    );
    const table = readFileSync(join(dir, "gen/legacy/v1/legacy_authz.ts"), "utf8");
    expect(table.match(/access: "audit",\n\s+source: "undeclared",/g)).toHaveLength(200);
    expect(table).toContain('access: "authenticated"');
  });

  it("marks the 200 RPCs in the report", () => {
    const report = readFileSync(join(dir, "gen/AUTHZ.md"), "utf8");
    expect(report).toContain("201 RPCs: 0 public, 1 authenticated, 0 deny, 200 audit (undeclared, NOT protected).");
    expect(report).toMatch(/\| `\/legacy\.v1\.LegacyService\/M000` \| \*\*audit \(undeclared\)\*\* \|/);
  });

  it("without the option, generation still refuses every RPC without a rule", () => {
    const strict = workspace("strict", legacyProto(), "target=ts, import_extension=js");
    const run = spawnSync(bufBin, ["generate"], { cwd: strict, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("200 authorization problems");
  });
});

interface Served {
  url: string;
  events: AuthzEvent[];
  warnings: string[];
  close(): Promise<void>;
}

/** The generated table behind a Connect server whose handlers echo who called. */
async function serve(): Promise<Served & { service: DescService }> {
  const { LegacyService } = await import(join(dir, "gen/legacy/v1/legacy_pb.ts"));
  const { LegacyServiceAuthz } = (await import(join(dir, "gen/legacy/v1/legacy_authz.ts"))) as { LegacyServiceAuthz: ServiceAuthz };
  const events: AuthzEvent[] = [];
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (text: string) => warnings.push(text);
  const guard = createGuard([LegacyServiceAuthz], { authenticate, audit: (e) => events.push(e) });
  console.warn = warn;
  const who = (ctx: HandlerContext, method: string) => {
    // An audit rule types the principal as possibly undefined: the handler must say what it does without one.
    const principal = principalOf(ctx, LegacyServiceAuthz, method);
    return principal === undefined ? "anonymous" : `${principal.kind}:${principal.subject}`;
  };
  const impl: Record<string, unknown> = Object.fromEntries(
    undeclared.map((m) => [m.toLowerCase(), (_: unknown, ctx: HandlerContext) => ({ text: who(ctx, m.toLowerCase()) })]),
  );
  impl.declared = (_: unknown, ctx: HandlerContext) => ({ text: who(ctx, "declared") });
  impl.watch = async function* (_: unknown, ctx: HandlerContext) {
    yield { text: who(ctx, "watch") };
  };
  impl.upload = async (reqs: AsyncIterable<unknown>, ctx: HandlerContext) => {
    for await (const _ of reqs) {
      // drain
    }
    return { text: who(ctx, "upload") };
  };
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) => router.service(LegacyService, impl as never),
      interceptors: [createConnectInterceptor(guard)],
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    warnings,
    service: LegacyService,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One method of a client built from a descriptor loaded at run time. */
function rpc(client: unknown, name: string): (request: unknown, options: unknown) => unknown {
  const method = (client as Record<string, unknown>)[name];
  if (typeof method !== "function") throw new Error(`the generated client has no ${name}`);
  return method as (request: unknown, options: unknown) => unknown;
}

describe("the guard on audit rules", () => {
  let served: Served & { service: DescService };
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(() => served.close());

  it("warns at startup that 200 RPCs are in migration mode", () => {
    expect(served.warnings.join("\n")).toMatch(/MIGRATION MODE — 200 RPCs have no rule \(undeclared=audit\)/);
  });

  for (const protocol of ["connect", "grpc"] as Protocol[]) {
    it(`never refuses: anonymous, valid, invalid and failing credentials all reach the handler, audited (${protocol})`, async () => {
      const client = connectTo(served.url, protocol);
      const api = createClient(served.service as never, client.transport);
      served.events.length = 0;
      const unary = async (method: string, caller: Parameters<typeof headersFor>[0]) =>
        ((await rpc(api, method)({ text: "x" }, { headers: headersFor(caller) })) as { text: string }).text;
      try {
        expect(await unary("m000", "user")).toBe("user:u-1");
        expect(await unary("m197", "service")).toBe("service:svc-1");
        expect(await unary("m001", "anonymous")).toBe("anonymous");
        expect(await unary("m002", "badToken")).toBe("anonymous");
        expect(await unary("m003", "brokenAuthenticator")).toBe("anonymous");
        const watched: string[] = [];
        for await (const m of rpc(api, "watch")({ text: "x" }, { headers: headersFor("sandbox") }) as AsyncIterable<{ text: string }>)
          watched.push(m.text);
        expect(watched).toEqual(["sandbox:sb-own"]);
        async function* two() {
          yield { text: "a" };
          yield { text: "b" };
        }
        expect(((await rpc(api, "upload")(two(), { headers: headersFor("badToken") })) as { text: string }).text).toBe("anonymous");
      } finally {
        client.close();
      }
      const common = { access: "audit", source: "undeclared" };
      expect(served.events).toEqual([
        {
          procedure: "/legacy.v1.LegacyService/M000",
          ...common,
          allowed: true,
          reason: "audited",
          enforced: true,
          principal: { kind: "user", subject: "u-1" },
        },
        {
          procedure: "/legacy.v1.LegacyService/M197",
          ...common,
          allowed: true,
          reason: "audited",
          enforced: true,
          principal: { kind: "service", subject: "svc-1" },
        },
        {
          procedure: "/legacy.v1.LegacyService/M001",
          ...common,
          allowed: false,
          reason: "no_credentials",
          code: "unauthenticated",
          enforced: false,
        },
        expect.objectContaining({
          procedure: "/legacy.v1.LegacyService/M002",
          ...common,
          allowed: false,
          reason: "invalid_credentials",
          enforced: false,
          detail: expect.stringContaining("unknown token"),
        }),
        expect.objectContaining({
          procedure: "/legacy.v1.LegacyService/M003",
          ...common,
          allowed: false,
          reason: "authenticator_failed",
          code: "unavailable",
          enforced: false,
        }),
        {
          procedure: "/legacy.v1.LegacyService/Watch",
          ...common,
          allowed: true,
          reason: "audited",
          enforced: true,
          principal: { kind: "sandbox", subject: "sb-own" },
        },
        expect.objectContaining({
          procedure: "/legacy.v1.LegacyService/Upload",
          ...common,
          allowed: false,
          reason: "invalid_credentials",
          enforced: false,
        }),
      ]);
    });
  }

  it("still enforces the RPCs that declare a rule", async () => {
    const client = connectTo(served.url, "connect");
    const declared = rpc(createClient(served.service as never, client.transport), "declared");
    const code = (caller: Parameters<typeof headersFor>[0]) =>
      (declared({ text: "x" }, { headers: headersFor(caller) }) as Promise<{ text: string }>).then(
        (r) => r.text,
        (e: unknown) => ConnectError.from(e).code,
      );
    try {
      expect(await code("user")).toBe("user:u-1");
      expect(await code("anonymous")).toBe(Code.Unauthenticated);
      const wrongKind = await code("service");
      expect(wrongKind).toBe(Code.PermissionDenied);
    } finally {
      client.close();
    }
  });
});

describe("an audit rule written in code", () => {
  it("is held to its shape: a reason, and no restriction that would silently be ignored", async () => {
    const { UserService } = await import("../gen/guardtest/v1/guard_pb.js");
    const table = (rule: unknown) =>
      defineServiceAuthz(UserService, {
        unary: rule as never,
        serverStream: { access: "audit", reason: "migrating" },
        clientStream: { access: "deny", reason: "x" },
        bidi: { access: "deny", reason: "x" },
      });
    const problems = (rule: unknown) => {
      try {
        createGuard([table(rule)], { authenticate });
        return [];
      } catch (error) {
        return error instanceof AuthzConfigError ? error.problems.map(String) : [String(error)];
      }
    };
    expect(problems({ access: "audit", reason: "migrating", principals: ["user"] })).toEqual([
      'guardtest.v1.UserService.Unary: an audit rule has an unknown property "principals" (remove it; known: access, source, reason)',
    ]);
    expect(problems({ access: "audit", reason: " " })).toEqual([
      'guardtest.v1.UserService.Unary: audit rule has an empty reason (say why, e.g. audit: { reason: "…" })',
    ]);
  });
});
