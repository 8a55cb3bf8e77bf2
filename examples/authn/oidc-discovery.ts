// People from an OIDC provider: keys found through discovery, only listed
// subjects admitted, roles from the "roles" claim.
import { authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";

export function serverAuthenticate(issuer: string, allowedSubjects: readonly string[]) {
  return authenticateWith(
    createJwtAuthenticator({
      issuer,
      audience: "sandbox-gateway",
      algorithms: ["RS256", "ES256"],
      key: { oidcIssuer: issuer, remote: { timeoutMs: 3_000, cooldownMs: 30_000 } },
      principal: { kind: "user", rolesClaim: "roles", allowedSubjects },
    }),
  );
}
