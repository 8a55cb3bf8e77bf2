export { createSessionCookieAuthenticator, type SessionCookieOptions, type SessionResolver } from "./authenticator.js";
export type { CsrfOptions } from "./csrf.js";
