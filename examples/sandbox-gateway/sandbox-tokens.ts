// The gateway's own workload tokens: Ed25519, short-lived, one token source
// per sandbox held in memory. A source hands out the same token until it
// nears expiry, then signs a fresh one; a deleted sandbox's source is dropped,
// so it can never refresh again (tokens already out expire within minutes).
import { type CryptoKey, decodeJwt, type JWK } from "jose";
import { createTokenSource } from "protoauthz/jwt";

export const sandboxTokenIssuer = "https://sandbox-gateway.example";

export interface SandboxTokens {
  /** The current token for a sandbox, and when it expires (seconds since the epoch). */
  issue(sandboxId: string, audience: string): Promise<{ token: string; expiresAt: number }>;
  /** Forgets a sandbox: no token is issued for it again. */
  revoke(sandboxId: string): void;
}

export function sandboxTokens(privateKey: CryptoKey | JWK, lifetimeSeconds = 300): SandboxTokens {
  const sources = new Map<string, ReturnType<typeof createTokenSource>>();
  return {
    async issue(sandboxId, audience) {
      let source = sources.get(sandboxId);
      if (source === undefined) {
        source = createTokenSource({
          algorithm: "EdDSA",
          key: privateKey,
          issuer: sandboxTokenIssuer,
          audience,
          subject: `sandbox:${sandboxId}`,
          claims: { sandbox_id: sandboxId },
          lifetimeSeconds,
        });
        sources.set(sandboxId, source);
      }
      const token = await source.token();
      return { token, expiresAt: Number(decodeJwt(token).exp) };
    },
    revoke(sandboxId) {
      sources.delete(sandboxId);
    },
  };
}
