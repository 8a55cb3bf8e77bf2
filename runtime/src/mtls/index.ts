export { type CertificateIdentity, createMtlsAuthenticator, type MtlsAuthenticatorOptions } from "./authenticator.js";
