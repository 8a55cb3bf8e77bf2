// A client page as a web app writes one: the generated tables, protoauthz/client
// and connect-web. Bundled for the browser by client-bundle.test.ts, which
// fails on any Node built-in this pulls in.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { canCall, createAuthzClientInterceptor, requirementsOf } from "protoauthz/client";
import { HealthServiceAuthz, SandboxServiceAuthz } from "../../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_authz.js";
import { SandboxService } from "../../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_pb.js";

const transport = createConnectTransport({
  baseUrl: location.origin,
  interceptors: [
    createAuthzClientInterceptor([SandboxServiceAuthz, HealthServiceAuthz], {
      credentials: { user: () => sessionStorage.getItem("token") ?? undefined },
    }),
  ],
});
const client = createClient(SandboxService, transport);
const me = { kind: "user", subject: "alice", scopes: [], roles: ["admin"], attributes: {} };
document.title = `${requirementsOf(SandboxServiceAuthz, "deleteSandbox").kinds.join(",")} ${String(canCall(me, SandboxServiceAuthz, "deleteSandbox").allowed)}`;
void client.getSandbox({ sandboxId: "sb-1" });
