// The gateway's handlers: an in-memory sandbox registry. Authorization is
// already decided when these run; they only read who is calling.
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { audience } from "./auth.js";
import { principalOf } from "./gen/authz_registry.js";
import { SandboxServiceAuthz, WorkloadServiceAuthz } from "./gen/sandboxgw/v1/gateway_authz.js";
import { BootstrapService, HealthService, type Sandbox, SandboxService, WorkloadService } from "./gen/sandboxgw/v1/gateway_pb.js";
import type { SandboxTokens } from "./sandbox-tokens.js";

export function gatewayRoutes(sandboxes = new Map<string, Omit<Sandbox, "$typeName">>(), tokens?: SandboxTokens) {
  let next = 1;
  const find = (id: string, owner: string, isAdmin: boolean) => {
    const sandbox = sandboxes.get(id);
    // A sandbox of someone else is reported exactly like a missing one.
    if (sandbox === undefined || (sandbox.owner !== owner && !isAdmin)) throw new ConnectError("sandbox not found", Code.NotFound);
    return sandbox;
  };
  return (router: ConnectRouter) => {
    router.service(SandboxService, {
      createSandbox(req, ctx) {
        const user = principalOf(ctx, SandboxServiceAuthz, "createSandbox"); // typed: kind "user"
        const sandbox = { id: `sb-${next++}`, owner: user.subject, image: req.image, state: "running" };
        sandboxes.set(sandbox.id, sandbox);
        return { sandbox };
      },
      getSandbox(req, ctx) {
        const user = principalOf(ctx, SandboxServiceAuthz, "getSandbox");
        return { sandbox: find(req.sandboxId, user.subject, user.roles.includes("admin")) };
      },
      listSandboxes(_req, ctx) {
        const user = principalOf(ctx, SandboxServiceAuthz, "listSandboxes");
        const isAdmin = user.roles.includes("admin");
        const visible = [...sandboxes.values()].filter((s) => isAdmin || s.owner === user.subject);
        return { sandboxes: visible.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
      },
      async *watchSandbox(req, ctx) {
        const user = principalOf(ctx, SandboxServiceAuthz, "watchSandbox");
        yield { sandbox: find(req.sandboxId, user.subject, user.roles.includes("admin")) };
      },
      deleteSandbox(req) {
        // Admins only (the rule says so); deleting a missing sandbox is a no-op.
        sandboxes.delete(req.sandboxId);
        tokens?.revoke(req.sandboxId);
        return {};
      },
      purgeSandbox() {
        throw new ConnectError("unreachable: the rule is deny", Code.Internal);
      },
    });
    router.service(WorkloadService, {
      getPolicy(_req, ctx) {
        // The guard has checked req.sandboxId against the token's sandbox_id.
        const sandbox = principalOf(ctx, WorkloadServiceAuthz, "getPolicy"); // typed: kind "sandbox"
        return { allowedHosts: [`${sandbox.subject}.internal`, "pypi.org"] };
      },
      async pushLogs(reqs) {
        let accepted = 0;
        for await (const req of reqs) accepted += req.lines.length;
        return { accepted };
      },
    });
    router.service(BootstrapService, {
      async issueSandboxToken(req) {
        // The guard has bound req.sandboxId to the pod's service account; the
        // sandbox must also still exist, or no token (and no refresh) is issued.
        if (tokens === undefined) throw new ConnectError("this gateway does not issue sandbox tokens", Code.Unimplemented);
        if (!sandboxes.has(req.sandboxId)) {
          tokens.revoke(req.sandboxId);
          throw new ConnectError("sandbox not found", Code.NotFound);
        }
        const { token, expiresAt } = await tokens.issue(req.sandboxId, audience);
        return { token, expiresAt: BigInt(expiresAt) };
      },
    });
    router.service(HealthService, {
      check() {
        return { status: "SERVING" };
      },
    });
  };
}
