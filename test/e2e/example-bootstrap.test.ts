// The sandbox-gateway's bootstrap: a sandbox pod trades its Kubernetes
// service-account token (checked by TokenReview) for the gateway's own
// short-lived Ed25519 token, uses it, refreshes it, and loses it with the sandbox.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { decodeJwt, exportJWK, generateKeyPair } from "jose";
import { bearerInterceptor, createTokenSource } from "protoauthz/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audience, userIssuer } from "../../examples/sandbox-gateway/auth.js";
import { BootstrapService, SandboxService, WorkloadService } from "../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_pb.js";
import { sandboxCredentials } from "../../examples/sandbox-gateway/sandbox-client.js";
import { type Gateway, startGateway } from "../../examples/sandbox-gateway/server.js";
import { createCa } from "../support/certs.js";
import { startTokenReviewServer, type TokenReviewServer } from "../support/tokenreview.js";

const codeOf = (error: unknown) => ConnectError.from(error).code;

describe("examples/sandbox-gateway: IssueSandboxToken", () => {
  const userSecret = "bootstrap-test-user-secret-0123456789";
  let api: TokenReviewServer;
  let gateway: Gateway;
  let sessions: Http2SessionManager;
  let transport: ReturnType<typeof createConnectTransport>;
  const admin = () =>
    createTokenSource({ algorithm: "HS256", key: userSecret, issuer: userIssuer, audience, subject: "root", claims: { roles: ["admin"] } });
  const alice = () =>
    createTokenSource({
      algorithm: "HS256",
      key: userSecret,
      issuer: userIssuer,
      audience,
      subject: "alice",
      claims: { roles: ["member"], scope: "sandboxes.write" },
    });

  beforeAll(async () => {
    const ca = await createCa("cluster-ca");
    api = await startTokenReviewServer(await ca.issue({ cn: "kube-apiserver", ips: ["127.0.0.1"], server: true }), "gateway-reviewer");
    const platform = await generateKeyPair("EdDSA", { extractable: true });
    const own = await generateKeyPair("EdDSA", { extractable: true });
    gateway = await startGateway({
      userSecret,
      workloadPublicKey: await exportJWK(platform.publicKey),
      sandboxTokenKeys: { privateKey: own.privateKey, publicKey: await exportJWK(own.publicKey) },
      kubernetes: { apiServer: api.url, ca: ca.cert, credentials: () => "gateway-reviewer" },
    });
    sessions = new Http2SessionManager(gateway.url);
    transport = createConnectTransport({ baseUrl: gateway.url, httpVersion: "2", sessionManager: sessions });
  });
  afterAll(async () => {
    sessions.abort();
    await gateway.close();
    await api.close();
  });

  /** A pod's projected service-account token, as the API server knows it. */
  function podToken(serviceAccount: string, namespace = "sandboxes") {
    const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ iss: "https://kubernetes.default.svc", sub: `${namespace}:${serviceAccount}` })).toString("base64url")}.c2ln`;
    api.tokens.set(token, {
      authenticated: true,
      username: `system:serviceaccount:${namespace}:${serviceAccount}`,
      audiences: [audience],
      extra: { "authentication.kubernetes.io/pod-name": [`${serviceAccount}-0`] },
    });
    return token;
  }

  it("a pod gets a token for its own sandbox, uses it, and loses it with the sandbox", async () => {
    const asAlice = { headers: { authorization: `Bearer ${await alice().token()}` } };
    const { sandbox } = await createClient(SandboxService, transport).createSandbox({ image: "python:3.13" }, asAlice);
    const sandboxId = sandbox?.id ?? "";
    const saToken = podToken(sandboxId);
    const credentials = sandboxCredentials({ transport, sandboxId, serviceAccountToken: () => saToken });

    // The gateway's token, Ed25519 and short-lived, works where sandboxes may call.
    const first = await credentials.token();
    const claims = decodeJwt(first);
    expect(claims).toMatchObject({ iss: "https://sandbox-gateway.example", sandbox_id: sandboxId, aud: audience });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(300);
    const workloads = createClient(
      WorkloadService,
      createConnectTransport({
        baseUrl: gateway.url,
        httpVersion: "2",
        sessionManager: sessions,
        interceptors: [bearerInterceptor(credentials)],
      }),
    );
    expect((await workloads.getPolicy({ sandboxId })).allowedHosts).toContain("pypi.org");

    // Asking again while it is fresh gives the same token: held in memory on both sides.
    const bootstrap = createClient(BootstrapService, transport);
    const again = await bootstrap.issueSandboxToken({ sandboxId }, { headers: { authorization: `Bearer ${saToken}` } });
    expect(again.token).toBe(first);

    // The service-account token is for bootstrapping only, and only for its own sandbox.
    await expect(
      createClient(WorkloadService, transport).getPolicy({ sandboxId }, { headers: { authorization: `Bearer ${saToken}` } }),
    ).rejects.toSatisfy((e) => codeOf(e) === Code.PermissionDenied);
    await expect(
      bootstrap.issueSandboxToken({ sandboxId: "sb-999" }, { headers: { authorization: `Bearer ${saToken}` } }),
    ).rejects.toSatisfy((e) => codeOf(e) === Code.PermissionDenied);
    // A pod outside the sandboxes namespace has no sandbox at all.
    await expect(
      bootstrap.issueSandboxToken({ sandboxId }, { headers: { authorization: `Bearer ${podToken(sandboxId, "default")}` } }),
    ).rejects.toSatisfy((e) => codeOf(e) === Code.PermissionDenied);

    // Once the sandbox is deleted, no refresh.
    await createClient(SandboxService, transport).deleteSandbox(
      { sandboxId },
      { headers: { authorization: `Bearer ${await admin().token()}` } },
    );
    await expect(bootstrap.issueSandboxToken({ sandboxId }, { headers: { authorization: `Bearer ${saToken}` } })).rejects.toSatisfy(
      (e) => codeOf(e) === Code.NotFound,
    );
  });

  it("a token the API server does not vouch for gets nothing", async () => {
    const forged = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"sub":"sb-1"}').toString("base64url")}.c2ln`;
    await expect(
      createClient(BootstrapService, transport).issueSandboxToken(
        { sandboxId: "sb-1" },
        { headers: { authorization: `Bearer ${forged}` } },
      ),
    ).rejects.toSatisfy((e) => codeOf(e) === Code.Unauthenticated);
  });
});
