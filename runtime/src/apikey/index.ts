export { type ApiKeyAuthenticatorOptions, createApiKeyAuthenticator, hashApiKey } from "./authenticator.js";
