// Calls every RPC as every kind of caller and collects the decision matrix.
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { exportJWK, generateKeyPair } from "jose";
import type { AuthzEvent } from "protoauthz";
import { createTokenSource } from "protoauthz/jwt";
import { audience, userIssuer, workloadIssuer } from "./auth.js";
import { HealthService, SandboxService, WorkloadService } from "./gen/sandboxgw/v1/gateway_pb.js";
import { startGateway } from "./server.js";

export const callers = ["anonymous", "user", "admin", "own sandbox", "foreign sandbox"] as const;
export type Caller = (typeof callers)[number];
export type Matrix = Record<string, Record<Caller, string>>;

/** Runs the demo; `audit` sees every decision the gateway's guard makes. */
export async function runDemo(audit?: (event: AuthzEvent) => void): Promise<Matrix> {
  const userSecret = crypto.getRandomValues(new Uint8Array(32)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
  const platform = await generateKeyPair("EdDSA", { extractable: true });
  const gateway = await startGateway({ userSecret, workloadPublicKey: await exportJWK(platform.publicKey) }, audit);
  const sessions = new Http2SessionManager(gateway.url);
  const transport = createConnectTransport({ baseUrl: gateway.url, httpVersion: "2", sessionManager: sessions });

  const userToken = (subject: string, roles: string[]) =>
    createTokenSource({
      algorithm: "HS256",
      key: userSecret,
      issuer: userIssuer,
      audience,
      subject,
      claims: { roles, scope: "sandboxes.read sandboxes.write" },
    }).token();
  const sandboxToken = (sandboxId: string) =>
    createTokenSource({
      algorithm: "EdDSA",
      key: platform.privateKey,
      issuer: workloadIssuer,
      audience,
      subject: `workload-${sandboxId}`,
      claims: { sandbox_id: sandboxId },
    }).token();

  try {
    // alice owns a sandbox; its workload holds a token for it.
    const alice = { authorization: `Bearer ${await userToken("alice", ["member"])}` };
    const sandboxes = createClient(SandboxService, transport);
    const { sandbox } = await sandboxes.createSandbox({ image: "python:3.13" }, { headers: alice });
    const sandboxId = sandbox?.id ?? "";
    const headers: Record<Caller, Record<string, string>> = {
      anonymous: {},
      user: alice,
      admin: { authorization: `Bearer ${await userToken("bob", ["admin"])}` },
      "own sandbox": { authorization: `Bearer ${await sandboxToken(sandboxId)}` },
      "foreign sandbox": { authorization: `Bearer ${await sandboxToken("sb-999")}` },
    };
    const matrix: Matrix = {};
    for (const [rpc, call] of Object.entries(rpcs(transport, sandboxId))) {
      matrix[rpc] = {} as Record<Caller, string>;
      for (const caller of callers) matrix[rpc][caller] = await outcome(() => call(headers[caller]));
    }
    return matrix;
  } finally {
    sessions.abort();
    await gateway.close();
  }
}

type Call = (headers: Record<string, string>) => Promise<unknown>;

function rpcs(transport: Transport, sandboxId: string): Record<string, Call> {
  const sandboxes = createClient(SandboxService, transport);
  const workloads = createClient(WorkloadService, transport);
  const health = createClient(HealthService, transport);
  return {
    CreateSandbox: (headers) => sandboxes.createSandbox({ image: "node:22" }, { headers }),
    // Its condition allows a day at most.
    "CreateSandbox ttl=48h": (headers) => sandboxes.createSandbox({ image: "node:22", ttl: { seconds: 48n * 3600n } }, { headers }),
    GetSandbox: (headers) => sandboxes.getSandbox({ sandboxId }, { headers }),
    ListSandboxes: (headers) => sandboxes.listSandboxes({}, { headers }),
    WatchSandbox: async (headers) => {
      for await (const _ of sandboxes.watchSandbox({ sandboxId }, { headers })) break;
    },
    DeleteSandbox: (headers) => sandboxes.deleteSandbox({ sandboxId: "sb-unused" }, { headers }),
    PurgeSandbox: (headers) => sandboxes.purgeSandbox({ sandboxId }, { headers }),
    GetPolicy: (headers) => workloads.getPolicy({ sandboxId }, { headers }),
    PushLogs: (headers) =>
      workloads.pushLogs(
        (async function* () {
          yield { source: { sandboxId }, lines: ["started"] };
          yield { source: { sandboxId }, lines: ["ready"] };
        })(),
        { headers },
      ),
    Check: (headers) => health.check({}, { headers }),
  };
}

async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    const code = ConnectError.from(error).code;
    return code === Code.Unauthenticated ? "unauthenticated" : code === Code.PermissionDenied ? "denied" : Code[code];
  }
}

export function formatMatrix(matrix: Matrix): string {
  const width = Math.max(...Object.keys(matrix).map((k) => k.length));
  const header = `${"".padEnd(width)}  ${callers.map((c) => c.padEnd(16)).join("")}`;
  const rows = Object.entries(matrix).map(([rpc, row]) => `${rpc.padEnd(width)}  ${callers.map((c) => row[c].padEnd(16)).join("")}`);
  return [header, ...rows].join("\n");
}
