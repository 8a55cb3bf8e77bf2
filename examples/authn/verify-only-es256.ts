// Tokens minted by an external party (a partner, a CI system) that alone holds
// the ES256 private key; the server holds only the public key.
import { authenticateWith } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";

export function serverAuthenticate(partnerPublicKeyPem: string) {
  return authenticateWith(
    createJwtAuthenticator({
      issuer: "https://ci.partner.example",
      audience: "sandbox-gateway",
      algorithms: ["ES256"],
      key: { publicKey: partnerPublicKeyPem },
      principal: { kind: "service" },
    }),
  );
}
