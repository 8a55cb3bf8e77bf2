// Who may call the gateway: people with tokens from the login service
// (HS256, shared with it) and sandbox workloads with tokens the platform
// signs with Ed25519; the gateway only holds the public key.

import type { JWK } from "jose";
import { authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { type AuthzPrincipal, authzVocabulary } from "./gen/authz_registry.js";

export interface GatewayKeys {
  /** Shared with the login service. */
  readonly userSecret: string;
  /** Public half of the platform's workload signing key. */
  readonly workloadPublicKey: JWK;
}

export const audience = "sandbox-gateway";
export const userIssuer = "https://login.example";
export const workloadIssuer = "https://platform.example/workloads";

export function gatewayAuthenticate(keys: GatewayKeys) {
  const users = createJwtAuthenticator({
    name: "users",
    issuer: userIssuer,
    audience,
    algorithms: ["HS256"],
    key: { secret: keys.userSecret },
    principal: { kind: "user", rolesClaim: "roles" },
    vocabulary: authzVocabulary,
  });
  const workloads = createJwtAuthenticator({
    name: "workloads",
    issuer: workloadIssuer,
    audience,
    algorithms: ["EdDSA"],
    key: { publicKey: keys.workloadPublicKey },
    principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" } },
    vocabulary: authzVocabulary,
  });
  return authenticateWith<AuthzPrincipal>(users, workloads);
}
