// Calls every RPC as every caller and collects the decision matrix.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { AuthzEvent } from "protoauthz";
import { createTokenSource } from "protoauthz/jwt";
import { WorkspaceService } from "./gen/workspaces/v1/workspaces_pb.js";
import { audience, issuer, startWorkspaces } from "./server.js";

/** Columns: who they are in relationships.txt. */
export const callers = {
  anonymous: undefined,
  "member (alice)": "alice",
  "admin (bob)": "bob",
  "owner (erin)": "erin",
  "non-member (carol)": "carol",
} as const;
export type Caller = keyof typeof callers;
export type Matrix = Record<string, Record<Caller, string>>;

export interface Demo {
  readonly matrix: Matrix;
  /** Every distinct PermissionDenied message: one, whatever the reason. */
  readonly denials: readonly string[];
}

/** Runs the demo; `audit` sees every decision the server's guard makes. */
export async function runDemo(audit?: (event: AuthzEvent) => void): Promise<Demo> {
  const userSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  const server = await startWorkspaces(userSecret, audit);
  const sessions = new Http2SessionManager(server.url);
  const client = createClient(
    WorkspaceService,
    createConnectTransport({ baseUrl: server.url, httpVersion: "2", sessionManager: sessions }),
  );
  const denials = new Set<string>();
  const outcome = async (call: () => Promise<unknown>): Promise<string> => {
    try {
      await call();
      return "ok";
    } catch (error) {
      const e = ConnectError.from(error);
      if (e.code === Code.PermissionDenied) denials.add(e.rawMessage);
      return e.code === Code.Unauthenticated ? "unauthenticated" : e.code === Code.PermissionDenied ? "denied" : Code[e.code];
    }
  };
  try {
    const rpcs: Record<string, (headers: Record<string, string>) => Promise<unknown>> = {
      "ListSandboxes acme": (headers) => client.listSandboxes({ workspaceId: "acme" }, { headers }),
      "ListSandboxes ghost": (headers) => client.listSandboxes({ workspaceId: "ghost" }, { headers }), // no such workspace
      "ListSandboxes public": (headers) => client.listSandboxes({ workspaceId: "public" }, { headers }), // the condition admits
      "AddMember acme": (headers) => client.addMember({ workspaceId: "acme", userId: "carol" }, { headers }),
      "ExecSandbox sb-1": (headers) => client.execSandbox({ sandboxId: "sb-1", command: "ls" }, { headers }),
      "DeleteSandbox sb-1": (headers) => client.deleteSandbox({ sandboxId: "sb-1" }, { headers }),
    };
    const headers = {} as Record<Caller, Record<string, string>>;
    for (const [caller, subject] of Object.entries(callers) as [Caller, string | undefined][]) {
      const token =
        subject === undefined
          ? undefined
          : await createTokenSource({ algorithm: "HS256", key: userSecret, issuer, audience, subject }).token();
      headers[caller] = token === undefined ? {} : { authorization: `Bearer ${token}` };
    }
    const matrix: Matrix = {};
    for (const [rpc, call] of Object.entries(rpcs)) {
      matrix[rpc] = {} as Record<Caller, string>;
      for (const caller of Object.keys(callers) as Caller[]) matrix[rpc][caller] = await outcome(() => call(headers[caller]));
    }
    return { matrix, denials: [...denials] };
  } finally {
    sessions.abort();
    await server.close();
  }
}

export function formatMatrix(matrix: Matrix): string {
  const names = Object.keys(callers) as Caller[];
  const width = Math.max(...Object.keys(matrix).map((k) => k.length));
  const header = `${"".padEnd(width)}  ${names.map((c) => c.padEnd(20)).join("")}`;
  const rows = Object.entries(matrix).map(([rpc, row]) => `${rpc.padEnd(width)}  ${names.map((c) => row[c].padEnd(20)).join("")}`);
  return [header, ...rows].join("\n");
}
