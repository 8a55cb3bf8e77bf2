// protoauthz/k8s against an HTTPS server that speaks the TokenReview API,
// with certificates made here, behind a guarded Connect server.
import { Code } from "@connectrpc/connect";
import { authenticateWith } from "protoauthz";
import { createTokenReviewAuthenticator, type TokenReviewAuthenticatorOptions } from "protoauthz/k8s";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthzPrincipal } from "../gen/authz_registry.js";
import { WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { type Ca, createCa } from "../support/certs.js";
import { callKinds, callOnce, connectTo } from "../support/clients.js";
import { newObserved, startConnectServer } from "../support/servers.js";
import { startTokenReviewServer, type TokenReviewServer } from "../support/tokenreview.js";

const reviewer = "reviewer-token";
const pod = (name: string) => ({
  "authentication.kubernetes.io/pod-name": [`${name}-7d9f8`],
  "authentication.kubernetes.io/pod-uid": ["5c2a7f0e-0000-4000-8000-000000000001"],
});
/** A compact JWT shape; only the API server reads inside it. */
const inAnHour = Math.floor(Date.now() / 1000) + 3600;
const saToken = (id: string, exp = inAnHour) =>
  `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: "https://kubernetes.default.svc", exp, id })).toString("base64url")}.c2ln`;

let ca: Ca;
let api: TokenReviewServer;
beforeAll(async () => {
  ca = await createCa("cluster-ca");
  api = await startTokenReviewServer(await ca.issue({ cn: "kube-apiserver", ips: ["127.0.0.1"], server: true }), reviewer);
  api.tokens.set(saToken("own"), {
    authenticated: true,
    username: "system:serviceaccount:sandboxes:sb-own",
    audiences: ["sandbox-gateway"],
    extra: pod("sb-own"),
  });
  api.tokens.set(saToken("other-ns"), {
    authenticated: true,
    username: "system:serviceaccount:default:sb-own",
    audiences: ["sandbox-gateway"],
  });
  api.tokens.set(saToken("person"), { authenticated: true, username: "alice@example.com", audiences: ["sandbox-gateway"] });
  api.tokens.set(saToken("wrong-aud"), { authenticated: true, username: "system:serviceaccount:sandboxes:sb-own", audiences: ["vault"] });
  api.tokens.set(saToken("lax-server"), {
    authenticated: true,
    username: "system:serviceaccount:sandboxes:sb-own",
    audiences: ["https://kubernetes.default.svc"],
    ignoresAudiences: true,
  });
  api.tokens.set(saToken("revoked"), { authenticated: false, error: "pod sb-own-7d9f8 no longer exists" });
});
afterAll(() => api.close());

const sandboxes = (overrides: Partial<TokenReviewAuthenticatorOptions<"sandbox">> = {}) =>
  createTokenReviewAuthenticator({
    audience: "sandbox-gateway",
    kind: "sandbox",
    serviceAccounts: [{ namespace: "sandboxes", name: "sb-own" }],
    attributes: (sa) => ({ sandbox_id: sa.serviceAccount }),
    apiServer: api.url,
    ca: ca.cert,
    credentials: () => reviewer,
    timeoutMs: 300,
    ...overrides,
  });

async function call(authenticator: ReturnType<typeof sandboxes>, token: string, id = "sb-own", kind: (typeof callKinds)[number] = "unary") {
  const seen = newObserved();
  const server = await startConnectServer(seen, { authenticate: authenticateWith<AuthzPrincipal>(authenticator) });
  const client = connectTo(server.url, "connect");
  try {
    return { outcome: await callOnce(client.transport, WorkloadService, kind, { authorization: `Bearer ${token}` }, [id]), seen };
  } finally {
    client.close();
    await server.close();
  }
}

describe("protoauthz/k8s TokenReview", () => {
  it("admits a reviewed service account of the audience, with namespace, service account and pod", async () => {
    const authenticator = sandboxes();
    for (const kind of callKinds) expect((await call(authenticator, saToken("own"), "sb-own", kind)).outcome).toBe("ok");
    expect((await call(authenticator, saToken("own"), "sb-other")).outcome).toBe(Code.PermissionDenied);
    const principal = await authenticator.authenticate({
      procedure: "/x.Y/Z",
      header: new Headers({ authorization: `Bearer ${saToken("own")}` }),
      peer: undefined,
    });
    expect(principal).toEqual({
      kind: "sandbox",
      subject: "system:serviceaccount:sandboxes:sb-own",
      scopes: [],
      roles: [],
      attributes: {
        sandbox_id: "sb-own",
        namespace: "sandboxes",
        service_account: "sb-own",
        pod_name: "sb-own-7d9f8",
        pod_uid: "5c2a7f0e-0000-4000-8000-000000000001",
      },
    });
  });

  it.each([
    ["not authenticated", saToken("revoked"), /not authenticated by the API server: pod sb-own-7d9f8 no longer exists/],
    ["unknown to the API server", saToken("forged"), /not authenticated by the API server/],
    ["minted for another audience", saToken("wrong-aud"), /not authenticated/],
    ["from an API server that ignores audiences", saToken("lax-server"), /not meant for audience "sandbox-gateway"/],
    ["another service account", saToken("other-ns"), /service account default\/sb-own is not allowed/],
    ["not a service account", saToken("person"), /does not belong to a service account/],
  ])("refuses a token %s as Unauthenticated", async (_case, token, detail) => {
    const { outcome, seen } = await call(sandboxes(), token);
    expect(outcome).toBe(Code.Unauthenticated);
    expect(seen.events[0]?.detail).toMatch(detail);
  });

  it("is Unavailable when the API server is slow or down, never admitting", async () => {
    api.delayMs = 1000;
    try {
      const { outcome, seen } = await call(sandboxes(), saToken("own"));
      expect(outcome).toBe(Code.Unavailable);
      expect(seen.events[0]?.detail).toMatch(/did not answer TokenReview within 300 ms/);
    } finally {
      api.delayMs = 0;
    }
    const down = await call(sandboxes({ apiServer: "https://127.0.0.1:1" }), saToken("own"));
    expect(down.outcome).toBe(Code.Unavailable);
    const wrongCa = await call(sandboxes({ ca: (await createCa("other-ca")).cert }), saToken("own"));
    expect(wrongCa.outcome).toBe(Code.Unavailable);
    const unauthorizedReviewer = await call(sandboxes({ credentials: () => "wrong" }), saToken("own"));
    expect(unauthorizedReviewer.outcome).toBe(Code.Unavailable);
    expect(unauthorizedReviewer.seen.events[0]?.detail).toMatch(/HTTP 401/);
  });

  it("reuses a review briefly and boundedly, never past the token's exp", async () => {
    let clock = 1_000_000_000_000;
    const authenticator = sandboxes({ now: () => clock, cacheTtlMs: 10_000, cacheMaxEntries: 2 });
    const request = (token: string) =>
      authenticator.authenticate({ procedure: "/x.Y/Z", header: new Headers({ authorization: `Bearer ${token}` }), peer: undefined });
    const reviews = () => api.reviews.length;
    const start = reviews();
    await Promise.all([request(saToken("own")), request(saToken("own"))]);
    expect(reviews() - start).toBe(1); // concurrent calls share one review
    clock += 9_000;
    await request(saToken("own"));
    expect(reviews() - start).toBe(1);
    clock += 2_000;
    await request(saToken("own"));
    expect(reviews() - start).toBe(2);
    // A token that expires sooner than the TTL is reviewed again once it has expired.
    const shortLived = saToken("own", Math.floor(clock / 1000) + 2);
    api.tokens.set(shortLived, api.tokens.get(saToken("own")) ?? { authenticated: false });
    await request(shortLived);
    clock += 3_000;
    await request(shortLived);
    expect(reviews() - start).toBe(4);
    // At most cacheMaxEntries tokens: a third pushes out the oldest.
    const more = [saToken("own", Math.floor(clock / 1000) + 500), saToken("own", Math.floor(clock / 1000) + 501)];
    for (const token of more) api.tokens.set(token, api.tokens.get(saToken("own")) ?? { authenticated: false });
    await request(saToken("own")); // still cached
    await request(more[0] ?? "");
    await request(more[1] ?? "");
    expect(reviews() - start).toBe(6);
    await request(saToken("own")); // pushed out by the two newer tokens
    expect(reviews() - start).toBe(7);
  });

  it("refuses to start without an audience, and outside a cluster without an API server", () => {
    expect(() => sandboxes({ audience: "" })).toThrow(/set audience/);
    const env = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(() => createTokenReviewAuthenticator({ audience: "a", kind: "sandbox", ca: ca.cert })).toThrow(
        /KUBERNETES_SERVICE_HOST is unset/,
      );
    } finally {
      if (env !== undefined) process.env.KUBERNETES_SERVICE_HOST = env;
    }
    expect(() => sandboxes({ apiServer: "http://127.0.0.1:1" })).toThrow(/must be an https URL/);
  });
});
