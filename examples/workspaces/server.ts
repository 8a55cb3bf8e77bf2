// The workspaces server: Connect over HTTP/2, every RPC behind the generated
// guard, relations checked in SpiceDB.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type AuthzEvent, authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { createSpiceDBChecker, embeddedClient } from "protoauthz/spicedb";
import { startEngine } from "./engine.js";
import { createAuthzGuard } from "./gen/authz_registry.js";
import { WorkspaceService } from "./gen/workspaces/v1/workspaces_pb.js";

export const issuer = "https://login.example";
export const audience = "workspaces";

export interface WorkspacesServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startWorkspaces(userSecret: string, audit: (event: AuthzEvent) => void = () => {}): Promise<WorkspacesServer> {
  const engine = await startEngine();
  const guard = createAuthzGuard({
    authenticate: authenticateWith(
      createJwtAuthenticator({
        name: "users",
        issuer,
        audience,
        algorithms: ["HS256"],
        key: { secret: userSecret },
        principal: { kind: "user" },
      }),
    ),
    // Reads the engine's schema now; the guard refuses to start if the rules
    // name a type, permission or principal kind the schema does not have.
    relations: await createSpiceDBChecker(embeddedClient(engine)),
    audit,
  });
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(WorkspaceService, {
          // Handlers run only for callers the guard admitted.
          listSandboxes: (req) => ({ sandboxIds: req.workspaceId === "acme" ? ["sb-1"] : ["sb-2"] }),
          addMember: () => ({}),
          execSandbox: (req) => ({ output: `ran ${req.command} in ${req.sandboxId}` }),
          deleteSandbox: () => ({}),
        }),
      ...guard.connectOptions,
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
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      engine.close();
    },
  };
}
