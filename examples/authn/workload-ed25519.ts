// Sandbox workloads: the platform signs Ed25519 tokens carrying the
// sandbox's id; bindings compare request fields against it.

import type { CryptoKey, JWK } from "jose";
import { authenticateWith } from "protoauthz";
import { createJwtAuthenticator, createTokenSource } from "protoauthz/jwt";

const issuer = "https://platform.example/workloads";

export function serverAuthenticate(platformPublicKey: JWK) {
  return authenticateWith(
    createJwtAuthenticator({
      issuer,
      audience: "sandbox-gateway",
      algorithms: ["EdDSA"],
      key: { publicKey: platformPublicKey },
      principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" } },
    }),
  );
}

/** On the platform: the token a sandbox is started with. */
export function workloadToken(platformPrivateKey: CryptoKey, sandboxId: string) {
  return createTokenSource({
    algorithm: "EdDSA",
    key: platformPrivateKey,
    issuer,
    audience: "sandbox-gateway",
    subject: `workload-${sandboxId}`,
    claims: { sandbox_id: sandboxId },
    lifetimeSeconds: 3600,
  }).token();
}
