// The bearer authenticators the throughput benchmark compares, all verifying
// the same ES256 tokens into the same sandbox principal: protoauthz (cache on
// and off), and jose and fast-jwt written the way a user would wire them.
import { createPublicKey } from "node:crypto";
import { createVerifier } from "fast-jwt";
import { jwtVerify } from "jose";
import { AuthenticationError, type AuthnRequest, authenticateWith, type Principal } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";

export const benchIssuer = "https://issuer.bench";
export const benchAudience = "bench";

const principalOf = (payload: Record<string, unknown>): Principal => ({
  kind: "sandbox",
  subject: String(payload.sub),
  scopes: [],
  roles: [],
  attributes: { sandbox_id: String(payload.sandbox_id) },
});
const tokenOf = (request: AuthnRequest) => {
  const match = /^Bearer (\S+)$/.exec(request.header.get("authorization") ?? "");
  if (match === null) throw new AuthenticationError("no bearer token");
  return match[1] as string;
};

export type JwtMode = "jwt-cache" | "jwt-nocache" | "jwt-jose" | "jwt-fastjwt";
export const jwtModes: readonly JwtMode[] = ["jwt-cache", "jwt-nocache", "jwt-jose", "jwt-fastjwt"];

export function benchAuthenticate(mode: JwtMode, publicKeyPem: string): (request: AuthnRequest) => Principal | Promise<Principal> {
  if (mode === "jwt-cache" || mode === "jwt-nocache") {
    const auth = createJwtAuthenticator({
      issuer: benchIssuer,
      audience: benchAudience,
      algorithms: ["ES256"],
      key: { publicKey: publicKeyPem },
      principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" } },
      cache: mode === "jwt-cache" ? {} : false,
    });
    return authenticateWith(auth) as (request: AuthnRequest) => Principal;
  }
  if (mode === "jwt-jose") {
    const key = createPublicKey(publicKeyPem);
    const options = { issuer: benchIssuer, audience: benchAudience, algorithms: ["ES256"], requiredClaims: ["exp", "sub"] };
    return async (request) => principalOf((await jwtVerify(tokenOf(request), key, options)).payload);
  }
  const verify = createVerifier({
    key: publicKeyPem,
    algorithms: ["ES256"],
    allowedIss: benchIssuer,
    allowedAud: benchAudience,
    requiredClaims: ["exp", "sub"],
    cache: false,
  });
  return (request) => principalOf(verify(tokenOf(request)));
}
