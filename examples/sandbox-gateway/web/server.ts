// The gateway with its web page, over HTTP/1.1 for browsers: `/` and
// `/app.js` (the page), `/login` (the login service's stand-in: signs a user
// token and sets it as the session cookie), and the API behind the guard,
// which accepts the session cookie (with its CSRF defence) and bearer tokens.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { SignJWT } from "jose";
import { authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { createSessionCookieAuthenticator } from "protoauthz/session";
import { audience, userIssuer } from "../auth.js";
import { type AuthzPrincipal, authzVocabulary, createAuthzGuard } from "../gen/authz_registry.js";
import { gatewayRoutes } from "../service.js";

/** The accounts of this demo and what their tokens say. */
const accounts: Record<string, { roles: string[] }> = { alice: { roles: ["member"] }, bob: { roles: ["admin"] } };

export interface WebGateway {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the gateway with its page on 127.0.0.1; `page` is the HTML and the bundled script. */
export async function startWebGateway(userSecret: string, page: { html: string; script: string }, port = 0): Promise<WebGateway> {
  const users = createJwtAuthenticator({
    name: "users",
    issuer: userIssuer,
    audience,
    algorithms: ["HS256"],
    key: { secret: userSecret },
    principal: { kind: "user", rolesClaim: "roles" },
    vocabulary: authzVocabulary,
  });
  // The cookie holds the same JWT a bearer client sends, verified by the same authenticator.
  const session = createSessionCookieAuthenticator({ cookie: "session", jwt: users });
  const guard = createAuthzGuard({ authenticate: authenticateWith<AuthzPrincipal>(users, session) });
  const api = connectNodeAdapter({ routes: gatewayRoutes(), ...guard.connectOptions });

  const signIn = async (name: string, res: http.ServerResponse) => {
    const account = Object.hasOwn(accounts, name) ? accounts[name] : undefined;
    if (account === undefined) return void res.writeHead(403).end();
    const token = await new SignJWT({ iss: userIssuer, aud: audience, sub: name, roles: account.roles, scope: "sandboxes.write" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(userSecret));
    // The principal the guard will see, for the page's canCall: read by the guard's own authenticator.
    const principal = await users.authenticate({
      procedure: "",
      header: new Headers({ authorization: `Bearer ${token}` }),
      peer: undefined,
    });
    // On https: `__Host-session=…; Secure; HttpOnly; SameSite=Lax; Path=/`.
    res.setHeader("set-cookie", `session=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600`);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ principal }));
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/") return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page.html);
    if (req.method === "GET" && path === "/app.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(page.script);
    if (req.method === "POST" && path === "/login") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        if (body.length < 64) body += chunk;
      });
      req.on("end", () => void signIn(body, res));
      return;
    }
    api(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
