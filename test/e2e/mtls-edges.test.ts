// mTLS edges through a real connect-node server: whatever peer the server
// reports, the authenticator checks the certificate against its own CAs,
// their validity dates included, and unreadable bytes are Unauthenticated.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { authenticateWith, type Peer } from "protoauthz";
import { peerKey } from "protoauthz/connect";
import { createMtlsAuthenticator } from "protoauthz/mtls";
import { beforeAll, describe, expect, it } from "vitest";
import { type AuthzPrincipal, createAuthzGuard } from "../gen/authz_registry.js";
import { UserService } from "../gen/guardtest/v1/guard_pb.js";
import { createCa } from "../support/certs.js";
import { callOnce, connectTo } from "../support/clients.js";
import { newObserved, routes, startConnectServer } from "../support/servers.js";

describe("mTLS edges", () => {
  let ca: Awaited<ReturnType<typeof createCa>>;
  beforeAll(async () => {
    ca = await createCa("hardening-ca");
  });

  /** A connect-node server whose contextValues hand the guard whatever peer the test sets. */
  async function withPeer(cas: string[], run: (call: (peer: Peer) => Promise<"ok" | Code>) => Promise<void>) {
    const seen = newObserved();
    let next: Peer | undefined;
    const guard = createAuthzGuard({
      authenticate: authenticateWith<AuthzPrincipal>(createMtlsAuthenticator({ ca: cas, kind: "user" })),
      audit: (e) => seen.events.push(e),
    });
    const server = http2.createServer(
      connectNodeAdapter({
        routes: routes(seen),
        interceptors: [guard.connect],
        contextValues: () => {
          const values = createContextValues();
          values.set(peerKey, next);
          return values;
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = connectTo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "connect");
    try {
      await run(async (peer) => {
        next = peer;
        return callOnce(client.transport, UserService, "unary", {}, ["x"]);
      });
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    return seen;
  }
  const der = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));

  it("garbage certificate bytes are Unauthenticated, not Unavailable", async () => {
    const seen = await withPeer([ca.cert], async (call) => {
      expect(await call({ authorized: undefined, certificate: { raw: new Uint8Array([0x30, 0x03, 0x02, 0x01]) } })).toBe(
        Code.Unauthenticated,
      );
      expect(await call({ authorized: true, certificate: { raw: new Uint8Array(0) } })).toBe(Code.Unauthenticated);
    });
    expect(seen.events.map((e) => e.reason)).toEqual(["invalid_credentials", "invalid_credentials"]);
  });

  it("when the server does not say it verified the peer, an expired CA issues nobody", async () => {
    const expired = await createCa("expired-ca", { notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() - 1000) });
    const leaf = await expired.issue({ cn: "svc-a" });
    const fresh = await ca.issue({ cn: "svc-b" });
    const seen = await withPeer([expired.cert, ca.cert], async (call) => {
      expect(await call({ authorized: undefined, certificate: { raw: der(leaf.cert) } })).toBe(Code.Unauthenticated);
      expect(await call({ authorized: undefined, certificate: { raw: der(fresh.cert) } })).toBe(Code.PermissionDenied);
    });
    expect(seen.events[0]?.detail).toMatch(/not issued by a trusted CA that is valid now/);
    // svc-b is authenticated (a user without scopes): denied by the rule, not refused as a credential.
    expect(seen.events[1]?.principal?.subject).toBe("svc-b");
  });

  it("a multi-valued RDN (CN=alice+CN=admin) is refused over real TLS, not resolved to one value", async () => {
    const serverCert = await ca.issue({ cn: "localhost", ips: ["127.0.0.1"], server: true });
    const seen = newObserved();
    const server = await startConnectServer(seen, {
      tls: { ...serverCert, ca: ca.cert },
      authenticate: authenticateWith<AuthzPrincipal>(createMtlsAuthenticator({ ca: ca.cert, kind: "user" })),
    });
    try {
      for (const cn of ["alice+CN=admin", "alice+O=admins"]) {
        const client = await ca.issue({ cn });
        const c = connectTo(server.url, "connect", { tls: { ca: ca.cert, ...client } });
        try {
          expect(await callOnce(c.transport, UserService, "unary", {}, ["x"])).toBe(Code.Unauthenticated);
        } finally {
          c.close();
        }
      }
      expect(seen.events.map((e) => e.detail)).toEqual([
        "AuthenticationError: mtls: client certificate subject has a multi-valued RDN",
        "AuthenticationError: mtls: client certificate subject has a multi-valued RDN",
      ]);
    } finally {
      await server.close();
    }
  });
});
