// Who may call the gateway: people with tokens from the login service
// (HS256, shared with it), sandbox workloads with tokens the platform signs
// with Ed25519 (the gateway only holds the public key) or the gateway signs
// itself, and sandbox pods bootstrapping with their Kubernetes
// service-account tokens (TokenReview).

import type { CryptoKey, JWK } from "jose";
import { type Authenticator, authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { createTokenReviewAuthenticator, type TokenReviewAuthenticatorOptions } from "protoauthz/k8s";
import { type AuthzPrincipal, authzVocabulary } from "./gen/authz_registry.js";
import { sandboxTokenIssuer } from "./sandbox-tokens.js";

export interface GatewayKeys {
  /** Shared with the login service. */
  readonly userSecret: string;
  /** Public half of the platform's workload signing key. */
  readonly workloadPublicKey: JWK;
  /** The gateway's own Ed25519 key pair for IssueSandboxToken. */
  readonly sandboxTokenKeys?: { readonly privateKey: CryptoKey | JWK; readonly publicKey: JWK };
  /** The cluster's API server, for sandbox pods' service-account tokens. In a pod, `{}` uses the in-cluster defaults. */
  readonly kubernetes?: Pick<TokenReviewAuthenticatorOptions, "apiServer" | "ca" | "credentials">;
}

export const audience = "sandbox-gateway";
export const userIssuer = "https://login.example";
export const workloadIssuer = "https://platform.example/workloads";
/** Sandbox pods run in this namespace, each as the service account named after its sandbox. */
export const sandboxNamespace = "sandboxes";

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
  const authenticators: Authenticator<AuthzPrincipal>[] = [users, workloads];
  if (keys.sandboxTokenKeys !== undefined) {
    authenticators.push(
      createJwtAuthenticator({
        name: "gateway-issued",
        issuer: sandboxTokenIssuer,
        audience,
        algorithms: ["EdDSA"],
        key: { publicKey: keys.sandboxTokenKeys.publicKey },
        principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" } },
        vocabulary: authzVocabulary,
      }),
    );
  }
  if (keys.kubernetes !== undefined) {
    // Last: it claims bearer tokens the issuers above do not.
    authenticators.push(
      createTokenReviewAuthenticator({
        ...keys.kubernetes,
        name: "pods",
        audience,
        kind: "workload",
        // Any sandbox pod, but only from the sandboxes namespace; which sandbox is bound per call.
        attributes: (sa) => (sa.namespace === sandboxNamespace ? { sandbox_id: sa.serviceAccount } : {}),
      }),
    );
  }
  return authenticateWith<AuthzPrincipal>(...authenticators);
}
