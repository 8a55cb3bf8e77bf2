// The README's claim-mapping recipes, each with tokens shaped like its
// provider's (made here, signed with a local RS256 key behind OIDC discovery),
// checked as principals and through a guarded server.
import { Code } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { authenticateWith } from "protoauthz";
import { type ClaimMapping, createJwtAuthenticator } from "protoauthz/jwt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type AuthzPrincipal, authzVocabulary } from "../gen/authz_registry.js";
import { UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { callOnce, connectTo } from "../support/clients.js";
import { type KeyServer, startKeyServer } from "../support/keyserver.js";
import { newObserved, startConnectServer } from "../support/servers.js";

let keys: KeyServer;
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  signingKey = pair.privateKey;
  keys = await startKeyServer();
  keys.keys = [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" }];
});
afterAll(() => keys.close());

const sign = (claims: JWTPayload) =>
  new SignJWT({ iss: keys.issuer, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(signingKey);

/** The recipe as a user writes it: discovery at the issuer, RS256, the mapping under test. */
const authenticatorFor = <K extends "user" | "sandbox" | "service">(audience: string, principal: ClaimMapping<K>) =>
  createJwtAuthenticator({
    issuer: keys.issuer,
    audience,
    algorithms: ["RS256"],
    key: { oidcIssuer: keys.issuer },
    principal,
    vocabulary: authzVocabulary,
  });

const principalOf = (authenticator: ReturnType<typeof authenticatorFor>, token: string) =>
  authenticator.authenticate({ procedure: "/x.Y/Z", header: new Headers({ authorization: `Bearer ${token}` }), peer: undefined });

/** Calls a method of the test services through a guarded Connect server; returns the outcome and the audit events. */
async function throughServer(authenticator: ReturnType<typeof authenticatorFor>, token: string, service = UserService, id = "x") {
  const seen = newObserved();
  const server = await startConnectServer(seen, { authenticate: authenticateWith<AuthzPrincipal>(authenticator) });
  const client = connectTo(server.url, "connect");
  try {
    return { outcome: await callOnce(client.transport, service, "unary", { authorization: `Bearer ${token}` }, [id]), events: seen.events };
  } finally {
    client.close();
    await server.close();
  }
}

describe("Keycloak: realm and client roles from nested claims", () => {
  const keycloak = () =>
    authenticatorFor("gateway", {
      kind: "user",
      rolesClaim: ["realm_access.roles", "resource_access.gateway.roles"],
      attributes: { username: "preferred_username", auth_time: "auth_time" },
    });
  const token = (claims: JWTPayload = {}) =>
    sign({
      aud: ["gateway", "account"],
      azp: "gateway",
      sub: "0b6a6a3e-6f1c-4a4e-9d58-0c1a2b3c4d5e",
      typ: "Bearer",
      preferred_username: "alice",
      auth_time: 1767225600,
      scope: "openid profile things.read",
      realm_access: { roles: ["offline_access", "uma_authorization", "member"] },
      resource_access: { gateway: { roles: ["admin"] }, account: { roles: ["manage-account"] } },
      ...claims,
    });

  it("merges realm and client roles, keeps the vocabulary's, and says which it dropped", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const principal = await principalOf(keycloak(), await token());
      expect(principal).toEqual({
        kind: "user",
        subject: "0b6a6a3e-6f1c-4a4e-9d58-0c1a2b3c4d5e",
        scopes: ["things.read"],
        roles: ["member", "admin"],
        attributes: { username: "alice", auth_time: "1767225600" },
        warnings: [
          'scope "openid" is not in the vocabulary; dropped',
          'scope "profile" is not in the vocabulary; dropped',
          'role "offline_access" is not in the vocabulary; dropped',
          'role "uma_authorization" is not in the vocabulary; dropped',
        ],
      });
      const { outcome, events } = await throughServer(keycloak(), await token());
      expect(outcome).toBe("ok");
      expect(events[0]?.detail).toContain('role "offline_access" is not in the vocabulary; dropped');
      // Once per process, however many tokens carry it.
      expect(warn.mock.calls.filter(([m]) => String(m).includes('"offline_access"'))).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });

  it("a missing or mistyped roles claim is reported, never silently empty, and the caller gets no roles", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const missing = await throughServer(
        keycloak(),
        await token({ realm_access: undefined, resource_access: { gateway: { roles: "admin" } } }),
      );
      expect(missing.outcome).toBe("ok");
      expect(missing.events[0]?.detail).toContain('roles claim "realm_access.roles" is missing');

      const mistyped = await throughServer(keycloak(), await token({ realm_access: { roles: [1, 2] }, resource_access: {} }));
      expect(mistyped.outcome).toBe(Code.PermissionDenied);
      expect(mistyped.events[0]).toMatchObject({ reason: "missing_role" });
      expect(mistyped.events[0]?.detail).toContain('roles claim "realm_access.roles" is neither a string nor an array of strings');
      expect(mistyped.events[0]?.detail).toContain('roles claim "resource_access.gateway.roles" is missing');
      expect(warn).toHaveBeenCalledWith('protoauthz/jwt: roles claim "realm_access.roles" is missing');
    } finally {
      warn.mockRestore();
    }
  });
});

describe("Auth0: permissions as scopes, roles from a namespaced claim", () => {
  const auth0 = () =>
    authenticatorFor("https://gateway.example/api", {
      kind: "user",
      scopesClaim: "permissions",
      rolesClaim: "https://gateway.example/roles", // a top-level claim by its exact name
    });
  it("maps an access token with RBAC permissions", async () => {
    const token = await sign({
      aud: ["https://gateway.example/api", "https://tenant.auth0.com/userinfo"],
      sub: "auth0|64b7f0c2e4b0a1b2c3d4e5f6",
      azp: "Xk1yZ2abc",
      scope: "openid profile email",
      permissions: ["things.read", "things.write"],
      "https://gateway.example/roles": ["member"],
    });
    expect(await principalOf(auth0(), token)).toEqual({
      kind: "user",
      subject: "auth0|64b7f0c2e4b0a1b2c3d4e5f6",
      scopes: ["things.read", "things.write"],
      roles: ["member"],
      attributes: {},
    });
    expect((await throughServer(auth0(), token)).outcome).toBe("ok");
  });
});

describe("Google ID tokens: identity only; roles through map", () => {
  const admins = ["alice@example.com"];
  const google = () =>
    authenticatorFor("1234567890-abc.apps.googleusercontent.com", {
      kind: "user",
      attributes: { email: "email", email_verified: "email_verified", domain: "hd" },
      map: (claims, mapped) =>
        claims.email_verified === true && claims.hd === "example.com"
          ? { ...mapped, scopes: ["things.read"], roles: admins.includes(String(claims.email)) ? ["admin"] : ["member"] }
          : mapped,
    });
  const token = (claims: JWTPayload = {}) =>
    sign({
      aud: "1234567890-abc.apps.googleusercontent.com",
      azp: "1234567890-abc.apps.googleusercontent.com",
      sub: "110169484474386276334",
      email: "alice@example.com",
      email_verified: true,
      hd: "example.com",
      name: "Alice",
      ...claims,
    });

  it("maps a verified workspace account; booleans become canonical strings", async () => {
    expect(await principalOf(google(), await token())).toEqual({
      kind: "user",
      subject: "110169484474386276334",
      scopes: ["things.read"],
      roles: ["admin"],
      attributes: { email: "alice@example.com", email_verified: "true", domain: "example.com" },
    });
    expect((await throughServer(google(), await token())).outcome).toBe("ok");
    expect((await throughServer(google(), await token({ email_verified: false }))).outcome).toBe(Code.PermissionDenied);
  });

  it("a map that returns a malformed principal fails closed (Unavailable), never admits", async () => {
    const broken = authenticatorFor("1234567890-abc.apps.googleusercontent.com", {
      kind: "user",
      map: (_claims, mapped) => ({ ...mapped, kind: "service" as "user", roles: "admin" as unknown as string[] }),
    });
    const { outcome, events } = await throughServer(broken, await token());
    expect(outcome).toBe(Code.Unavailable);
    expect(events[0]?.detail).toMatch(/kind must be one of "user"; .*roles must be an array of non-empty strings/);
  });
});

describe("Microsoft Entra ID: app roles and delegated scopes (scp)", () => {
  const entra = () =>
    authenticatorFor("api://gateway", {
      kind: "user",
      rolesClaim: "roles",
      scopesClaim: "scp",
      attributes: { tenant: "tid", object_id: "oid" },
    });
  it("maps a v2.0 access token", async () => {
    const token = await sign({
      aud: "api://gateway",
      sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
      ver: "2.0",
      tid: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      oid: "00000000-0000-0000-66f3-3332eca7ea81",
      azp: "6e74172b-be56-4843-9ff4-e66a39bb12e3",
      scp: "things.read User.Read",
      roles: ["admin"],
    });
    const principal = await principalOf(entra(), token);
    expect(principal).toMatchObject({
      scopes: ["things.read"],
      roles: ["admin"],
      attributes: { tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", object_id: "00000000-0000-0000-66f3-3332eca7ea81" },
      warnings: ['scope "User.Read" is not in the vocabulary; dropped'],
    });
    expect((await throughServer(entra(), token)).outcome).toBe("ok");
  });
});

describe("Kubernetes service-account tokens via OIDC discovery", () => {
  // The service account's name is the sandbox: bindings compare it with the request.
  const k8s = () =>
    authenticatorFor("gateway", {
      kind: "sandbox",
      attributes: {
        namespace: { path: ["kubernetes.io", "namespace"] },
        sandbox_id: { path: ["kubernetes.io", "serviceaccount", "name"] },
        pod_name: { path: ["kubernetes.io", "pod", "name"] },
      },
    });
  const token = (sa: string) =>
    sign({
      aud: ["gateway"],
      sub: `system:serviceaccount:sandboxes:${sa}`,
      "kubernetes.io": {
        namespace: "sandboxes",
        pod: { name: `${sa}-7d9f8`, uid: "a1b2c3d4-0000-4000-8000-000000000001" },
        serviceaccount: { name: sa, uid: "a1b2c3d4-0000-4000-8000-000000000002" },
      },
    });

  it("maps system:serviceaccount:<ns>:<sa>, and the binding admits the sandbox only for itself", async () => {
    expect(await principalOf(k8s(), await token("sb-own"))).toEqual({
      kind: "sandbox",
      subject: "system:serviceaccount:sandboxes:sb-own",
      scopes: [],
      roles: [],
      attributes: { namespace: "sandboxes", sandbox_id: "sb-own", pod_name: "sb-own-7d9f8" },
    });
    expect((await throughServer(k8s(), await token("sb-own"), WorkloadService, "sb-own")).outcome).toBe("ok");
    expect((await throughServer(k8s(), await token("sb-own"), WorkloadService, "sb-other")).outcome).toBe(Code.PermissionDenied);
  });

  it("a dotted path does not reach into a claim whose name has dots", async () => {
    const wrong = authenticatorFor("gateway", { kind: "sandbox", attributes: { namespace: "kubernetes.io.namespace" } });
    const principal = await principalOf(wrong, await token("sb-own"));
    expect(principal.attributes).toEqual({});
    expect(principal.warnings).toEqual(['attribute namespace: claim "kubernetes.io.namespace" is missing']);
  });
});
