// The client side of the rules: requirementsOf reads a generated table; the
// client interceptor attaches the credential each RPC's rule accepts, none to
// public RPCs unless asked, and refuses deny RPCs before the network.
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import type { AuthnRequest } from "protoauthz";
import { createAuthzClientInterceptor, requirementsOf } from "protoauthz/client";
import { describe, expect, it } from "vitest";
import { type AuthzPrincipal, createAuthzGuard } from "../../examples/sandbox-gateway/gen/authz_registry.js";
import {
  HealthServiceAuthz,
  SandboxServiceAuthz,
  WorkloadServiceAuthz,
} from "../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_authz.js";
import { HealthService, SandboxService, WorkloadService } from "../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_pb.js";
import { gatewayRoutes } from "../../examples/sandbox-gateway/service.js";

const principals: Record<string, AuthzPrincipal> = {
  "user-token": { kind: "user", subject: "alice", scopes: ["sandboxes.write"], roles: ["member"], attributes: {} },
  "sandbox-token": { kind: "sandbox", subject: "sb-1", scopes: [], roles: [], attributes: { sandbox_id: "sb-1" } },
};

function setup(options: { publicAs?: string } = {}) {
  const seen: string[] = [];
  const sent: string[] = [];
  const guard = createAuthzGuard({
    authenticate: (request: AuthnRequest) => {
      const header = request.header.get("authorization");
      seen.push(`${request.procedure} ${header ?? "no credential"}`);
      if (header === null) return undefined;
      return principals[header.replace(/^Bearer /, "")];
    },
  });
  const network: Interceptor = (next) => (req) => {
    sent.push(req.method.name);
    return next(req);
  };
  const credentials = { sandbox: () => "sandbox-token", user: async () => "user-token" };
  const transport = createRouterTransport(gatewayRoutes(), {
    router: { interceptors: [guard.connect] },
    transport: {
      interceptors: [
        createAuthzClientInterceptor([SandboxServiceAuthz, WorkloadServiceAuthz, HealthServiceAuthz], { credentials, ...options }),
        network,
      ],
    },
  });
  return { seen, sent, transport };
}

describe("createAuthzClientInterceptor", () => {
  it("sends each RPC the credential of the first kind its rule accepts", async () => {
    const { seen, transport } = setup();
    const created = await createClient(SandboxService, transport).createSandbox({ image: "python:3" });
    expect(created.sandbox?.owner).toBe("alice");
    await createClient(WorkloadService, transport).getPolicy({ sandboxId: "sb-1" });
    expect(seen).toEqual([
      "/sandboxgw.v1.SandboxService/CreateSandbox Bearer user-token",
      "/sandboxgw.v1.WorkloadService/GetPolicy Bearer sandbox-token",
    ]);
  });

  it("sends no credential to a public RPC unless asked", async () => {
    const quiet = setup();
    await createClient(HealthService, quiet.transport).check({});
    expect(quiet.seen).toEqual(["/sandboxgw.v1.HealthService/Check no credential"]);
    const asked = setup({ publicAs: "user" });
    await createClient(HealthService, asked.transport).check({});
    expect(asked.seen).toEqual(["/sandboxgw.v1.HealthService/Check Bearer user-token"]);
  });

  it("refuses a deny RPC locally: nothing is sent", async () => {
    const { seen, sent, transport } = setup();
    const error = await createClient(SandboxService, transport)
      .purgeSandbox({ sandboxId: "sb-1" })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.PermissionDenied);
    expect((error as ConnectError).rawMessage).toContain("its rule is deny");
    expect(sent).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("refuses options it cannot use", () => {
    expect(() => createAuthzClientInterceptor([SandboxServiceAuthz], { credentials: { user: "token" as never } })).toThrow(
      "credentials.user must be a function",
    );
    expect(() => createAuthzClientInterceptor([SandboxServiceAuthz], { credentials: { user: () => "t" }, publicAs: "sandbox" })).toThrow(
      'publicAs is "sandbox", which has no entry in credentials',
    );
  });
});

describe("requirementsOf", () => {
  it("reads what each RPC requires from the generated table", () => {
    expect(requirementsOf(SandboxServiceAuthz, "deleteSandbox")).toEqual({
      procedure: "/sandboxgw.v1.SandboxService/DeleteSandbox",
      access: "authenticated",
      alternatives: [{ kinds: ["user"], scopes: [], roles: ["admin"], bindings: [], relations: [], conditions: [] }],
      credentialNeeded: true,
      kinds: ["user"],
    });
    expect(requirementsOf(WorkloadServiceAuthz, "pushLogs").alternatives[0]?.bindings).toEqual([
      { field: "source.sandbox_id", attribute: "sandbox_id" },
    ]);
    expect(requirementsOf(SandboxServiceAuthz, "purgeSandbox")).toMatchObject({
      access: "deny",
      reason: "retired in v1.4; use DeleteSandbox",
      alternatives: [],
      credentialNeeded: false,
    });
    expect(requirementsOf(HealthServiceAuthz, "check")).toMatchObject({ access: "public", credentialNeeded: false, kinds: [] });
    expect(() => requirementsOf(SandboxServiceAuthz, "nope" as never)).toThrow('sandboxgw.v1.SandboxService has no method "nope"');
  });
});
