// The gateway server: Connect over HTTP/2, every RPC behind the generated guard.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { AuthzEvent } from "protoauthz";
import { type GatewayKeys, gatewayAuthenticate } from "./auth.js";
import { createAuthzGuard } from "./gen/authz_registry.js";
import { sandboxTokens } from "./sandbox-tokens.js";
import { gatewayRoutes } from "./service.js";

export interface Gateway {
  readonly url: string;
  close(): Promise<void>;
}

export async function startGateway(keys: GatewayKeys, audit: (event: AuthzEvent) => void = () => {}): Promise<Gateway> {
  // One import, one call: every generated table, default deny for the rest.
  const guard = createAuthzGuard({ authenticate: gatewayAuthenticate(keys), audit });
  const tokens = keys.sandboxTokenKeys === undefined ? undefined : sandboxTokens(keys.sandboxTokenKeys.privateKey);
  const server = http2.createServer(connectNodeAdapter({ routes: gatewayRoutes(new Map(), tokens), ...guard.connectOptions }));
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
