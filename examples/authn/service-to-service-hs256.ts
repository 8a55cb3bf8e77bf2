// Service to service with a shared secret: the billing service calls the
// gateway with short-lived HS256 tokens for audience "sandbox-gateway".
import { authenticateWith } from "protoauthz";
import { bearerInterceptor, createJwtAuthenticator, createTokenSource } from "protoauthz/jwt";

const issuer = "https://billing.internal";
const audience = "sandbox-gateway";

/** On the gateway: accept billing's tokens, as principal kind "service". */
export function serverAuthenticate(sharedSecret: string) {
  return authenticateWith(
    createJwtAuthenticator({
      issuer,
      audience,
      algorithms: ["HS256"],
      key: { secret: sharedSecret },
      principal: { kind: "service", allowedSubjects: ["billing"] },
    }),
  );
}

/** In billing: a client interceptor that re-signs before the token expires. */
export function clientInterceptor(sharedSecret: string) {
  const source = createTokenSource({ algorithm: "HS256", key: sharedSecret, issuer, audience, subject: "billing", lifetimeSeconds: 300 });
  return bearerInterceptor(source);
}
