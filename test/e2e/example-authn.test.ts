// The authentication setups the README documents, each against a real
// guarded server.
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import * as oidc from "../../examples/authn/oidc-discovery.js";
import * as s2s from "../../examples/authn/service-to-service-hs256.js";
import * as partner from "../../examples/authn/verify-only-es256.js";
import * as workload from "../../examples/authn/workload-ed25519.js";
import { PublicService, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { callOnce, connectTo } from "../support/clients.js";
import { startKeyServer } from "../support/keyserver.js";
import { newObserved, type ServerOptions, startConnectServer } from "../support/servers.js";

async function withServer(authenticate: unknown, run: (url: string, seen: ReturnType<typeof newObserved>) => Promise<void>) {
  const seen = newObserved();
  const server = await startConnectServer(seen, { authenticate: authenticate as NonNullable<ServerOptions["authenticate"]> });
  try {
    await run(server.url, seen);
  } finally {
    await server.close();
  }
}

describe("examples/authn", () => {
  it("service to service, HS256 with audience, refreshed by the client", async () => {
    const secret = "billing-and-gateway-share-this-32-bytes!";
    await withServer(s2s.serverAuthenticate(secret), async (url, seen) => {
      const sessionManager = new Http2SessionManager(url);
      const transport = createConnectTransport({
        baseUrl: url,
        httpVersion: "2",
        sessionManager,
        interceptors: [s2s.clientInterceptor(secret)],
      });
      await createClient(PublicService, transport).unary({});
      sessionManager.abort();
      expect(seen.events.at(-1)?.principal).toEqual({ kind: "service", subject: "billing" });
      const other = new Http2SessionManager(url);
      const forged = createConnectTransport({
        baseUrl: url,
        httpVersion: "2",
        sessionManager: other,
        interceptors: [s2s.clientInterceptor("another-secret-of-at-least-32-bytes!!")],
      });
      expect(await callOnce(forged, PublicService, "unary", {}, ["x"])).toBe(Code.Unauthenticated);
      other.abort();
    });
  });

  it("verify-only ES256: tokens minted by the key holder only", async () => {
    const holder = await generateKeyPair("ES256", { extractable: true });
    const stranger = await generateKeyPair("ES256", { extractable: true });
    const mint = (key: typeof holder.privateKey) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256" })
        .setIssuer("https://ci.partner.example")
        .setAudience("sandbox-gateway")
        .setSubject("ci")
        .setExpirationTime("5m")
        .sign(key);
    await withServer(partner.serverAuthenticate(await exportSPKI(holder.publicKey)), async (url) => {
      const client = connectTo(url, "grpc");
      expect(
        await callOnce(client.transport, PublicService, "unary", { authorization: `Bearer ${await mint(holder.privateKey)}` }, ["x"]),
      ).toBe("ok");
      expect(
        await callOnce(client.transport, PublicService, "unary", { authorization: `Bearer ${await mint(stranger.privateKey)}` }, ["x"]),
      ).toBe(Code.Unauthenticated);
      client.close();
    });
  });

  it("OIDC via discovery, allowed subjects only", async () => {
    const provider = await startKeyServer();
    const keys = await generateKeyPair("RS256", { extractable: true });
    provider.keys = [{ ...(await exportJWK(keys.publicKey)), kid: "p1", alg: "RS256" }];
    const mint = (sub: string) =>
      new SignJWT({ scope: "things.read", roles: ["member"] })
        .setProtectedHeader({ alg: "RS256", kid: "p1" })
        .setIssuer(provider.issuer)
        .setAudience("sandbox-gateway")
        .setSubject(sub)
        .setExpirationTime("5m")
        .sign(keys.privateKey);
    await withServer(oidc.serverAuthenticate(provider.issuer, ["alice"]), async (url) => {
      const client = connectTo(url, "connect");
      expect(await callOnce(client.transport, UserService, "unary", { authorization: `Bearer ${await mint("alice")}` }, ["x"])).toBe("ok");
      expect(await callOnce(client.transport, UserService, "unary", { authorization: `Bearer ${await mint("mallory")}` }, ["x"])).toBe(
        Code.Unauthenticated,
      );
      client.close();
    });
    await provider.close();
  });

  it("Ed25519 workload tokens whose sandbox_id claim bindings check", async () => {
    const platform = await generateKeyPair("EdDSA", { extractable: true });
    await withServer(workload.serverAuthenticate(await exportJWK(platform.publicKey)), async (url) => {
      const client = connectTo(url, "grpc");
      const headers = { authorization: `Bearer ${await workload.workloadToken(platform.privateKey, "sb-1")}` };
      expect(await callOnce(client.transport, WorkloadService, "bidi", headers, ["sb-1", "sb-1"])).toBe("ok");
      expect(await callOnce(client.transport, WorkloadService, "bidi", headers, ["sb-2"])).toBe(Code.PermissionDenied);
      client.close();
    });
  });
});
