// TokenReview replies are held to the API's types, never coerced, and the API
// server's certificate is verified against the configured CA even when the
// environment says NODE_TLS_REJECT_UNAUTHORIZED=0. Through a guarded server.
import { Code } from "@connectrpc/connect";
import { authenticateWith } from "protoauthz";
import { createTokenReviewAuthenticator } from "protoauthz/k8s";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AuthzPrincipal } from "../gen/authz_registry.js";
import { WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { type Ca, createCa } from "../support/certs.js";
import { callOnce, connectTo } from "../support/clients.js";
import { newObserved, startConnectServer } from "../support/servers.js";
import { startTokenReviewServer, type TokenReviewServer } from "../support/tokenreview.js";

const reviewer = "reviewer-token";
const inAnHour = Math.floor(Date.now() / 1000) + 3600;
const saToken = (id: string) =>
  `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: "https://kubernetes.default.svc", exp: inAnHour, id })).toString("base64url")}.c2ln`;
const username = "system:serviceaccount:sandboxes:sb-own";
const wellFormed = { authenticated: true, audiences: ["sandbox-gateway"], user: { username, uid: "u-1", groups: [], extra: {} } };

let ca: Ca;
let api: TokenReviewServer;
let rogue: TokenReviewServer;
beforeAll(async () => {
  ca = await createCa("cluster-ca");
  api = await startTokenReviewServer(await ca.issue({ cn: "kube-apiserver", ips: ["127.0.0.1"], server: true }), reviewer);
  // A server whose certificate the cluster CA never signed: a self-made CA, same name and address.
  const other = await createCa("cluster-ca");
  rogue = await startTokenReviewServer(await other.issue({ cn: "kube-apiserver", ips: ["127.0.0.1"], server: true }), reviewer);
  for (const server of [api, rogue]) server.tokens.set(saToken("good"), { authenticated: true, rawStatus: wellFormed });
});
afterAll(async () => {
  await api.close();
  await rogue.close();
});

async function call(token: string, apiServer = api.url) {
  const authenticator = createTokenReviewAuthenticator({
    audience: "sandbox-gateway",
    kind: "sandbox",
    attributes: (sa) => ({ sandbox_id: sa.serviceAccount }),
    apiServer,
    ca: ca.cert,
    credentials: () => reviewer,
    timeoutMs: 1000,
  });
  const server = await startConnectServer(newObserved(), { authenticate: authenticateWith<AuthzPrincipal>(authenticator) });
  const client = connectTo(server.url, "connect");
  try {
    return await callOnce(client.transport, WorkloadService, "unary", { authorization: `Bearer ${token}` }, ["sb-own"]);
  } finally {
    client.close();
    await server.close();
  }
}

const user = (patch: Record<string, unknown>) => ({ ...wellFormed, user: { ...wellFormed.user, ...patch } });
const malformed: [string, unknown][] = [
  ["username as an array", user({ username: [username] })],
  ["username as a number", user({ username: 42 })],
  ["uid as a number", user({ uid: 12345 })],
  ["groups as a string", user({ groups: "system:serviceaccounts" })],
  ["groups holding a number", user({ groups: [1] })],
  ["extra values not string lists", user({ extra: { "authentication.kubernetes.io/pod-name": [123] } })],
  ["extra value a bare string", user({ extra: { "authentication.kubernetes.io/pod-uid": "5c2a" } })],
  ["user as an array", { ...wellFormed, user: [username] }],
  ["audiences holding a number", { ...wellFormed, audiences: ["sandbox-gateway", 1] }],
  ["error as an object", { ...wellFormed, error: { message: "x" } }],
];

describe("protoauthz/k8s holds TokenReview replies to their types", () => {
  it("admits the well-formed reply (control)", async () => {
    expect(await call(saToken("good"))).toBe("ok");
  });

  for (const [what, status] of malformed) {
    it(`refuses a reply with ${what} (Unavailable: a malformed reply, not an identity)`, async () => {
      const token = saToken(what);
      api.tokens.set(token, { authenticated: true, rawStatus: status });
      expect(await call(token)).toBe(Code.Unavailable);
    });
  }
});

describe("protoauthz/k8s verifies the API server whatever the environment says", () => {
  const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
  });

  it("refuses a self-signed API server outside the configured CA with NODE_TLS_REJECT_UNAUTHORIZED=0", async () => {
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    expect(await call(saToken("good"), rogue.url)).toBe(Code.Unavailable);
    expect(rogue.reviews).toEqual([]); // the token never reached it
    expect(await call(saToken("good"), api.url)).toBe("ok"); // the real one still answers
  });
});
