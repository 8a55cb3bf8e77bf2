import { AuthenticationError, type AuthnRequest } from "protoauthz";
import type { AuthzPrincipal } from "../gen/authz_registry.js";

/** The callers of the end-to-end tests, by bearer token. */
export const callers = {
  user: { kind: "user", subject: "u-1", scopes: ["things.read"], roles: ["member"], attributes: {} },
  userNoScope: { kind: "user", subject: "u-2", scopes: [], roles: ["member"], attributes: {} },
  userNoRole: { kind: "user", subject: "u-3", scopes: ["things.read"], roles: ["auditor"], attributes: {} },
  // Holds everything a user can hold, and even claims a sandbox_id attribute.
  superUser: {
    kind: "user",
    subject: "root",
    scopes: ["things.read", "things.write"],
    roles: ["admin", "member", "auditor"],
    attributes: { sandbox_id: "sb-own" },
  },
  sandbox: { kind: "sandbox", subject: "sb-own", scopes: [], roles: [], attributes: { sandbox_id: "sb-own" } },
  sandboxNoAttribute: { kind: "sandbox", subject: "sb-x", scopes: [], roles: [], attributes: {} },
  service: { kind: "service", subject: "svc-1", scopes: ["things.read"], roles: ["admin"], attributes: { sandbox_id: "sb-own" } },
  // A sandbox with the admin role and no sandbox_id: a condition reading the attribute fails to evaluate.
  sandboxAdmin: { kind: "sandbox", subject: "sb-adm", scopes: [], roles: ["admin"], attributes: {} },
} as const satisfies Record<string, AuthzPrincipal>;

export type CallerName = keyof typeof callers | "anonymous" | "badToken" | "brokenAuthenticator" | "brokenPrincipal";

/** A principal whose getter throws, as a buggy authenticator might return. */
const brokenPrincipal = Object.defineProperty({ ...callers.user }, "kind", {
  get() {
    throw new Error("claims were not loaded");
  },
}) as AuthzPrincipal;

/**
 * Bearer tokens name a caller. "bad" is rejected as invalid credentials,
 * "boom" makes the authenticator fail like an unreachable key server, "broken"
 * returns a principal whose getter throws. Synchronous, like an API-key table:
 * the guard's synchronous path is the one under test.
 */
export function authenticate(request: AuthnRequest): AuthzPrincipal | undefined {
  const header = request.header.get("authorization");
  if (header === null) return undefined;
  const match = /^Bearer ([A-Za-z]+)$/.exec(header);
  if (match === null) throw new AuthenticationError("malformed authorization header");
  const token = match[1] ?? "";
  if (token === "boom") throw new Error("key server unreachable");
  if (token === "broken") return brokenPrincipal;
  if (!Object.hasOwn(callers, token)) throw new AuthenticationError("unknown token");
  return callers[token as keyof typeof callers];
}

/** The same table, answering through a promise like a JWT or OIDC authenticator. */
export const authenticateAsync = async (request: AuthnRequest): Promise<AuthzPrincipal | undefined> => authenticate(request);

export function headersFor(caller: CallerName): Record<string, string> {
  switch (caller) {
    case "anonymous":
      return {};
    case "badToken":
      return { authorization: "Bearer bad" };
    case "brokenAuthenticator":
      return { authorization: "Bearer boom" };
    case "brokenPrincipal":
      return { authorization: "Bearer broken" };
    default:
      return { authorization: `Bearer ${caller}` };
  }
}
