export {
  createTokenReviewAuthenticator,
  type ServiceAccountIdentity,
  type TokenReviewAuthenticatorOptions,
} from "./authenticator.js";
