// The servers of the browser tests, all on loopback: the sandbox gateway
// (its API behind the guard, its web app on the same origin), and attacker
// sites on other origins. Handler calls are counted by an interceptor that
// runs after the guard, i.e. only for calls the guard let through.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { cors, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { SignJWT } from "jose";
import { type AuthzEvent, authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { createSessionCookieAuthenticator } from "protoauthz/session";
import { type AuthzPrincipal, authzVocabulary, createAuthzGuard } from "../../../examples/sandbox-gateway/gen/authz_registry.js";
import { gatewayRoutes } from "../../../examples/sandbox-gateway/service.js";

const secret = "browser-test-login-secret-0123456789";
const issuer = "https://login.example";
const audience = "sandbox-gateway";

/** Who can sign in, and what their tokens say. */
const accounts: Record<string, { roles: string[]; scope: string }> = {
  alice: { roles: ["member"], scope: "sandboxes.write" },
  root: { roles: ["admin"], scope: "sandboxes.write" },
};

export const signToken = (sub: string) =>
  new SignJWT({ iss: issuer, aud: audience, sub, roles: accounts[sub]?.roles ?? [], scope: accounts[sub]?.scope ?? "" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(secret));

export interface Site {
  readonly origin: string;
  close(): Promise<void>;
}

export interface GatewaySite extends Site {
  /** "Method GET|POST" for every call a handler ran. */
  readonly handled: string[];
  readonly events: AuthzEvent[];
}

async function listen(server: http.Server, host: string): Promise<Site> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    origin: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The gateway: bearer tokens and the session cookie, both verified by one JWT
 * authenticator; its web app (`/`, `/app.js`, `/login`) on the API's origin.
 * `corsOrigins` are the origins CORS lets read responses; the tests list the
 * attackers' origins there too, so that their calls reach the guard: CORS is
 * not the CSRF defence, the guard is.
 */
export async function startGateway(page: { html: string; script: string }, corsOrigins: () => readonly string[]): Promise<GatewaySite> {
  const users = createJwtAuthenticator({
    name: "users",
    issuer,
    audience,
    algorithms: ["HS256"],
    key: { secret },
    principal: { kind: "user", rolesClaim: "roles" },
    vocabulary: authzVocabulary,
  });
  const session = createSessionCookieAuthenticator({ cookie: "session", jwt: users });
  const events: AuthzEvent[] = [];
  const handled: string[] = [];
  const guard = createAuthzGuard({ authenticate: authenticateWith<AuthzPrincipal>(users, session), audit: (e) => events.push(e) });
  const count: Interceptor = (next) => (req) => {
    handled.push(`${req.method.name} ${req.requestMethod}`);
    return next(req);
  };
  const { interceptors, contextValues } = guard.connectOptions;
  const api = connectNodeAdapter({ routes: gatewayRoutes(), interceptors: [...interceptors, count], contextValues });
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin !== undefined && corsOrigins().includes(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-credentials", "true");
      res.setHeader("access-control-expose-headers", cors.exposedHeaders.join(", "));
      res.setHeader("vary", "Origin");
      if (req.method === "OPTIONS") {
        res.setHeader("access-control-allow-methods", cors.allowedMethods.join(", "));
        res.setHeader("access-control-allow-headers", [...cors.allowedHeaders, "Authorization"].join(", "));
        res.writeHead(204).end();
        return;
      }
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/" && req.method === "GET") return void res.writeHead(200, { "content-type": "text/html" }).end(page.html);
    if (path === "/app.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(page.script);
    if (path === "/login" && req.method === "POST") return void signIn(req, res);
    api(req, res);
  });
  const site = await listen(server, "127.0.0.1");
  return { ...site, handled, events };
}

/** Signs in by name: the session cookie (HttpOnly, SameSite=Lax) and, for bearer use, the token. */
function signIn(req: http.IncomingMessage, res: http.ServerResponse): void {
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", async () => {
    if (!(body in accounts)) return void res.writeHead(403).end();
    const token = await signToken(body);
    // Over https the cookie would be `__Host-session` with `Secure`; these tests run on http://127.0.0.1.
    res.setHeader("set-cookie", `session=${token}; HttpOnly; SameSite=Lax; Path=/`);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token }));
  });
}

/** A static site serving one page at `/`. */
export async function startSite(host: string, html: string): Promise<Site> {
  const server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(html));
  return listen(server, host);
}

export const pageFile = (name: string) => readFileSync(new URL(`../pages/${name}`, import.meta.url), "utf8");
