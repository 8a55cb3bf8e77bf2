// The sandbox side of the bootstrap: trade the pod's service-account token for
// the gateway's workload token, keep it in memory, and ask again shortly
// before it expires. Works as a token source for bearerInterceptor.
import { createClient, type Transport } from "@connectrpc/connect";
import { BootstrapService } from "./gen/sandboxgw/v1/gateway_pb.js";

export interface SandboxCredentialsOptions {
  /** The transport to the gateway (without the bearer interceptor). */
  readonly transport: Transport;
  readonly sandboxId: string;
  /** The pod's projected service-account token (re-read each time: the kubelet rotates it). */
  readonly serviceAccountToken: () => string | Promise<string>;
  /** Ask for a new token this many seconds before expiry. Default 60. */
  readonly refreshBeforeSeconds?: number;
}

export function sandboxCredentials(options: SandboxCredentialsOptions): { token(): Promise<string> } {
  const bootstrap = createClient(BootstrapService, options.transport);
  const refreshBefore = options.refreshBeforeSeconds ?? 60;
  let current: { token: string; expiresAt: number } | undefined;
  return {
    async token() {
      if (current !== undefined && current.expiresAt - Date.now() / 1000 > refreshBefore) return current.token;
      const headers = { authorization: `Bearer ${await options.serviceAccountToken()}` };
      const issued = await bootstrap.issueSandboxToken({ sandboxId: options.sandboxId }, { headers });
      current = { token: issued.token, expiresAt: Number(issued.expiresAt) };
      return current.token;
    },
  };
}
