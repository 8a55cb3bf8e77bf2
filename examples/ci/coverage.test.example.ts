// The coverage test to add to a server's suite (vitest, node:test, jest alike):
// it fails when the router serves a method the guard has no rule for, or the
// guard has rules for methods the router does not serve.
import { createConnectRouter } from "@connectrpc/connect";
import { assertCoverage } from "protoauthz";
import { servedByConnectRouter } from "protoauthz/connect";
import { test } from "vitest";
import { createAuthzGuard } from "../sandbox-gateway/gen/authz_registry.js";
import { gatewayRoutes } from "../sandbox-gateway/service.js";

test("every served RPC has a rule, and every rule is served", () => {
  const router = createConnectRouter();
  gatewayRoutes()(router);
  assertCoverage(createAuthzGuard({ authenticate: () => undefined }), servedByConnectRouter(router));
});
