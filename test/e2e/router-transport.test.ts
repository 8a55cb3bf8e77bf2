// The README's recipe for testing handlers: the real guard and generated
// rules in front of the routes over Connect's in-memory transport, with only
// the caller faked.
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { type AuthzPrincipal, createAuthzGuard } from "../../examples/sandbox-gateway/gen/authz_registry.js";
import { WorkloadService } from "../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_pb.js";
import { gatewayRoutes } from "../../examples/sandbox-gateway/service.js";

describe("handlers tested over createRouterTransport with a fake principal", () => {
  const sandbox: AuthzPrincipal = { kind: "sandbox", subject: "sb-1", scopes: [], roles: [], attributes: { sandbox_id: "sb-1" } };
  const client = (principal: AuthzPrincipal | undefined) =>
    createClient(
      WorkloadService,
      createRouterTransport(gatewayRoutes(), { router: { interceptors: [createAuthzGuard({ authenticate: () => principal }).connect] } }),
    );
  const code = (call: Promise<unknown>) =>
    call.then(
      () => "ok",
      (e: unknown) => Code[ConnectError.from(e).code],
    );

  it("admits the caller the rule admits and denies the others, as the real server does", async () => {
    expect(await code(client(sandbox).getPolicy({ sandboxId: "sb-1" }))).toBe("ok");
    expect(await code(client(sandbox).getPolicy({ sandboxId: "sb-2" }))).toBe("PermissionDenied");
    expect(await code(client(undefined).getPolicy({ sandboxId: "sb-1" }))).toBe("Unauthenticated");
  });
});
