export { createJwtAuthenticator, type JwtAuthenticatorOptions } from "./authenticator.js";
export type { TokenCacheOptions } from "./cache.js";
export type { ClaimMapping, ClaimPath, PrincipalVocabulary } from "./claims.js";
export { bearerInterceptor, createTokenSource, type TokenSourceOptions } from "./issue.js";
export type { KeySource, RemoteOptions } from "./keys.js";
