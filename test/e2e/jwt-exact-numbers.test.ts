// A JWT whose tenant is the bare JSON number 9007199254740993 (as Go and Java
// issuers write int64 ids) reaches tenant …993 and never its neighbour …992,
// through a real guarded server binding the int64 request field to it.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { defineServiceAuthz } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthzPrincipal } from "../gen/authz_registry.js";
import { WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { connectTo } from "../support/clients.js";
import { newObserved, type Running, startConnectServer, startGrpcServer } from "../support/servers.js";
import { signCompact, testKey } from "../support/tokens.js";

const key = testKey("HS256", 11);
const issuer = "https://issuer.int64";
const now = Math.floor(Date.now() / 1000);
const token = signCompact(
  "HS256",
  key.signing,
  { alg: "HS256" },
  Buffer.from(`{"sub":"svc-1","iss":"${issuer}","aud":"api","exp":${now + 600},"tenant":9007199254740993}`),
);

const table = defineServiceAuthz(WorkloadService, {
  unary: { access: "authenticated", bindings: [{ field: "tenant_number", attribute: "tenant" }] },
  serverStream: { access: "authenticated", bindings: [{ field: "tenant_number", attribute: "tenant" }] },
  clientStream: { access: "deny", reason: "not under test" },
  bidi: { access: "deny", reason: "not under test" },
  get: { access: "deny", reason: "not under test" },
});
const jwt = createJwtAuthenticator({
  issuer,
  audience: "api",
  algorithms: ["HS256"],
  key: { secret: key.verifying.export() },
  principal: { kind: "sandbox", attributes: { tenant: "tenant" } },
});
const authenticate = (request: Parameters<typeof jwt.authenticate>[0]) =>
  jwt.inspect(request) === "absent" ? undefined : (jwt.authenticate(request) as AuthzPrincipal);

const servers: Running[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe.each([
  ["connect", startConnectServer],
  ["grpc", startGrpcServer],
] as const)("%s: an int64 tenant claim binds by its exact digits", (protocol, start) => {
  let client: ReturnType<typeof createClient<typeof WorkloadService>>;
  beforeAll(async () => {
    const server = await start(newObserved(), { authenticate, tables: [table] });
    servers.push(server);
    client = createClient(WorkloadService, connectTo(server.url, protocol).transport);
  });
  const headers = { authorization: `Bearer ${token}` };
  const call = async (kind: "unary" | "serverStream", tenantNumber: string) => {
    try {
      if (kind === "unary") await client.unary({ tenantNumber }, { headers });
      else for await (const _ of client.serverStream({ tenantNumber }, { headers })) void _;
      return "ok";
    } catch (error) {
      return ConnectError.from(error).code;
    }
  };

  for (const kind of ["unary", "serverStream"] as const) {
    it(`${kind}: tenant 9007199254740993 is admitted to …993 and not to …992`, async () => {
      expect(await call(kind, "9007199254740992")).toBe(Code.PermissionDenied);
      expect(await call(kind, "9007199254740994")).toBe(Code.PermissionDenied);
      expect(await call(kind, "9007199254740993")).toBe("ok");
    });
  }
});
