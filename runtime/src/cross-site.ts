import { AuthenticationError } from "./errors.js";

const refusal = "cross_site_request";

/**
 * Thrown by a cookie authenticator when a request carrying its cookie does not
 * show that it came from an allowed origin (CSRF defence): Unauthenticated,
 * audited as `cross_site_request` rather than `invalid_credentials`.
 */
export class CrossSiteRequestError extends AuthenticationError {
  override name = "CrossSiteRequestError";
  /** Read by the guard; a string, so an error from a second copy of the package is still recognized. */
  readonly refusal = refusal;
}

/** Whether an authenticator's throw is a CSRF refusal, from any copy of protoauthz. */
export function isCrossSiteRequest(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { refusal?: unknown }).refusal === refusal;
}
