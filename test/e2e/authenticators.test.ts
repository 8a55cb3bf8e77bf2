// Authenticators behind real guarded servers: composition of issuers, mTLS
// through connect-node and grpc-js TLS servers, and API keys.
import { X509Certificate } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { type AuthnRequest, authenticateWith } from "protoauthz";
import { createApiKeyAuthenticator, hashApiKey } from "protoauthz/apikey";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { createMtlsAuthenticator } from "protoauthz/mtls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzPrincipal, authzVocabulary } from "../gen/authz_registry.js";
import { PublicService, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { createCa } from "../support/certs.js";
import { callOnce, connectTo } from "../support/clients.js";
import { type KeyServer, startKeyServer } from "../support/keyserver.js";
import { newObserved, type Running, startConnectServer, startGrpcServer } from "../support/servers.js";

const userSecret = "user-issuer-secret-0123456789abcdef";
const hs = new TextEncoder().encode(userSecret);
const sign = (claims: Record<string, unknown>, key: Parameters<SignJWT["sign"]>[0], alg: string, expSeconds = 300) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds)
    .sign(key);

/** People, on HS256 tokens from the login service. */
const usersAuthenticator = () =>
  createJwtAuthenticator({
    name: "users",
    vocabulary: authzVocabulary,
    issuer: "https://login.test",
    audience: "gateway",
    algorithms: ["HS256"],
    key: { secret: userSecret },
    principal: { kind: "user" as const, rolesClaim: "roles" },
  });

describe("composition: user tokens and workload tokens from different issuers", () => {
  let workload: Awaited<ReturnType<typeof generateKeyPair>>;
  let impostor: Awaited<ReturnType<typeof generateKeyPair>>;
  let server: Running;
  let client: ReturnType<typeof connectTo>;
  let keys: KeyServer;
  const seen = newObserved();

  beforeAll(async () => {
    workload = await generateKeyPair("EdDSA", { extractable: true });
    impostor = await generateKeyPair("EdDSA", { extractable: true });
    keys = await startKeyServer();
    keys.keys = [{ ...(await exportJWK(workload.publicKey)), kid: "w1", alg: "EdDSA" }];
    const users = usersAuthenticator();
    const workloads = createJwtAuthenticator({
      vocabulary: authzVocabulary,
      name: "workloads",
      issuer: keys.issuer,
      audience: "gateway",
      algorithms: ["EdDSA"],
      key: { oidcIssuer: keys.issuer },
      principal: { kind: "sandbox" as const, attributes: { sandbox_id: "sandbox_id" } },
    });
    server = await startConnectServer(seen, { authenticate: authenticateWith<AuthzPrincipal>(users, workloads) });
    client = connectTo(server.url, "connect");
  });
  afterAll(async () => {
    client.close();
    await server.close();
    await keys.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const userToken = () =>
    sign({ iss: "https://login.test", aud: "gateway", sub: "alice", scope: "things.read", roles: ["member"] }, hs, "HS256");
  const workloadToken = (sandboxId: string, key = workload.privateKey) =>
    new SignJWT({ iss: keys.issuer, aud: "gateway", sub: "wl-1", sandbox_id: sandboxId })
      .setProtectedHeader({ alg: "EdDSA", kid: "w1" })
      .setExpirationTime("5m")
      .sign(key);

  it("each issuer's tokens reach what their kind may call", async () => {
    expect(await callOnce(client.transport, UserService, "unary", bearer(await userToken()), ["x"])).toBe("ok");
    expect(await callOnce(client.transport, WorkloadService, "clientStream", bearer(await workloadToken("sb-9")), ["sb-9", "sb-9"])).toBe(
      "ok",
    );
  });

  it("a workload token's sandbox_id claim is what bindings check", async () => {
    expect(await callOnce(client.transport, WorkloadService, "unary", bearer(await workloadToken("sb-9")), ["sb-8"])).toBe(
      Code.PermissionDenied,
    );
  });

  it("an invalid workload token is Unauthenticated and never falls through to the user issuer", async () => {
    const forged = await workloadToken("sb-9", impostor.privateKey);
    expect(await callOnce(client.transport, PublicService, "unary", bearer(forged), ["x"])).toBe(Code.Unauthenticated);
    const unknownIssuer = await sign({ iss: "https://other.test", aud: "gateway", sub: "x" }, hs, "HS256");
    expect(await callOnce(client.transport, PublicService, "unary", bearer(unknownIssuer), ["x"])).toBe(Code.Unauthenticated);
  });

  it("no credentials is anonymous", async () => {
    expect(await callOnce(client.transport, PublicService, "unary", {}, ["x"])).toBe("ok");
    expect(await callOnce(client.transport, UserService, "unary", {}, ["x"])).toBe(Code.Unauthenticated);
  });

  it("while the workload issuer is down, workload calls are Unavailable and user calls unaffected", async () => {
    const down = await startKeyServer();
    down.down = true;
    const workloads = createJwtAuthenticator({
      vocabulary: authzVocabulary,
      issuer: down.issuer,
      audience: "gateway",
      algorithms: ["EdDSA"],
      key: { jwksUrl: down.jwksUrl },
      principal: { kind: "sandbox" as const, attributes: { sandbox_id: "sub" } },
    });
    const seen2 = newObserved();
    const users = usersAuthenticator();
    const s = await startConnectServer(seen2, { authenticate: authenticateWith<AuthzPrincipal>(users, workloads) });
    const c = connectTo(s.url, "grpc");
    const token = await new SignJWT({ iss: down.issuer, aud: "gateway", sub: "wl" })
      .setProtectedHeader({ alg: "EdDSA" })
      .setExpirationTime("5m")
      .sign(workload.privateKey);
    expect(await callOnce(c.transport, WorkloadService, "unary", bearer(token), ["x"])).toBe(Code.Unavailable);
    expect(await callOnce(c.transport, UserService, "unary", bearer(await userToken()), ["x"])).toBe("ok");
    expect(seen2.events.find((e) => e.reason === "authenticator_failed")?.detail).toMatch(/cannot verify tokens right now/);
    c.close();
    await s.close();
    await down.close();
  });
});

describe("mTLS", async () => {
  const ca = await createCa("test-ca");
  const rogueCa = await createCa("rogue-ca");
  const serverCert = await ca.issue({ cn: "localhost", ips: ["127.0.0.1"], server: true });
  const spiffe = await ca.issue({ cn: "ignored-cn", uris: ["spiffe://test/ns/prod/sa/billing"], dns: ["billing.test"] });
  const dnsOnly = await ca.issue({ cn: "ignored-cn", dns: ["metering.test"] });
  const cnOnly = await ca.issue({ cn: "legacy-client" });
  const expired = await ca.issue({ cn: "old", notAfter: new Date(Date.now() - 1000) });
  const rogue = await rogueCa.issue({ cn: "rogue", uris: ["spiffe://test/ns/prod/sa/billing"] });

  const mtls = createMtlsAuthenticator<"service">({
    ca: ca.cert,
    kind: "service",
    attributes: (identity) => ({ identity_source: identity.from }),
  });

  for (const [name, start] of [
    ["connect-node", startConnectServer],
    ["grpc-js", startGrpcServer],
  ] as const) {
    it(`${name}: identity from URI SAN, then DNS SAN, then CN; absent or unverified certificates give none`, async () => {
      const seen = newObserved();
      const server = await start(seen, {
        tls: { key: serverCert.key, cert: serverCert.cert, ca: ca.cert },
        authenticate: authenticateWith<AuthzPrincipal>(mtls),
      });
      const call = async (client?: { cert: string; key: string }) => {
        const c = connectTo(server.url, "grpc", { tls: { ca: ca.cert, ...client } });
        try {
          const before = seen.subjects.length;
          const outcome = await callOnce(c.transport, PublicService, "unary", {}, ["x"]);
          return outcome === "ok" ? seen.subjects[before] : outcome;
        } finally {
          c.close();
        }
      };
      try {
        expect(await call(spiffe)).toBe("spiffe://test/ns/prod/sa/billing");
        expect(await call(dnsOnly)).toBe("metering.test");
        expect(await call(cnOnly)).toBe("legacy-client");
        // connect-node requests certificates and marks unverified ones (no
        // principal); grpc-js refuses them in the TLS handshake.
        const unverified = (outcome: string | Code | undefined) =>
          name === "connect-node" ? outcome === "anonymous" : typeof outcome === "number";
        const invocations = seen.invocations.length;
        expect(unverified(await call())).toBe(true);
        expect(unverified(await call(rogue))).toBe(true);
        expect(unverified(await call(expired))).toBe(true);
        if (name === "grpc-js") expect(seen.invocations.length).toBe(invocations);
        expect(seen.events.filter((e) => e.principal?.kind === "service").length).toBe(3);
      } finally {
        await server.close();
      }
    });
  }

  it("the authenticator checks the chain itself even if the server says authorized", async () => {
    const request = (cert: string): AuthnRequest => ({
      procedure: "/x/y",
      header: new Headers(),
      peer: { authorized: true, certificate: { raw: new X509Certificate(cert).raw } },
    });
    await expect(mtls.authenticate(request(rogue.cert))).rejects.toThrow(/trusted CA/);
    await expect(mtls.authenticate(request(expired.cert))).rejects.toThrow(/not valid now/);
    await expect(mtls.authenticate(request(spiffe.cert))).resolves.toMatchObject({
      subject: "spiffe://test/ns/prod/sa/billing",
      attributes: { identity_source: "uri" },
    });
  });
});

describe("API keys", () => {
  const apiKeys = createApiKeyAuthenticator<AuthzPrincipal>({
    header: "x-api-key",
    keys: [
      {
        sha256: hashApiKey("k-live-123"),
        principal: { kind: "service", subject: "ci-bot", scopes: ["things.read"], roles: ["member"], attributes: {} },
      },
    ],
  });
  let server: Running;
  let client: ReturnType<typeof connectTo>;
  const seen = newObserved();
  beforeAll(async () => {
    server = await startConnectServer(seen, { authenticate: authenticateWith<AuthzPrincipal>(apiKeys) });
    client = connectTo(server.url, "connect");
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it("maps a stored key to its principal; anything else is Unauthenticated", async () => {
    const before = seen.subjects.length;
    expect(await callOnce(client.transport, PublicService, "unary", { "x-api-key": "k-live-123" }, ["x"])).toBe("ok");
    expect(seen.subjects.slice(before)).toEqual(["ci-bot"]);
    expect(await callOnce(client.transport, PublicService, "unary", { "x-api-key": "k-live-124" }, ["x"])).toBe(Code.Unauthenticated);
    expect(
      await callOnce(
        client.transport,
        PublicService,
        "unary",
        [
          ["x-api-key", "k-live-123"],
          ["x-api-key", "k-live-123"],
        ] as never,
        ["x"],
      ),
    ).toBe(Code.Unauthenticated);
    expect(await callOnce(client.transport, PublicService, "unary", { authorization: "Bearer x" }, ["x"])).toBe(Code.Unauthenticated);
  });

  it("refuses stored keys that are not hashes", () => {
    expect(() =>
      createApiKeyAuthenticator({ header: "x-api-key", keys: [{ sha256: "k-live-123", principal: {} as AuthzPrincipal }] }),
    ).toThrow(/hashApiKey/);
  });
});
