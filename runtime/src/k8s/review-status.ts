/** The part of a TokenReview's status the authenticator reads. */
export interface ReviewStatus {
  readonly authenticated?: boolean;
  readonly error?: string;
  readonly audiences?: readonly string[];
  readonly user?: {
    readonly username?: string;
    readonly uid?: string;
    readonly groups?: readonly string[];
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isStrings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === "string");

/**
 * A TokenReview status held to the API's types (authentication.k8s.io/v1),
 * or the first place it departs from them. Nothing is coerced: a `username`
 * that is an array, a number where a string belongs, `groups` or `extra`
 * values that are not lists of strings make the whole reply malformed, so no
 * identity is ever read from a value the API server did not write as one.
 */
export function checkReviewStatus(status: unknown): ReviewStatus | string {
  if (!isObject(status)) return "status is not an object";
  const optional = (value: unknown, ok: (v: unknown) => boolean) => value === undefined || ok(value);
  if (!optional(status.authenticated, (v) => typeof v === "boolean")) return "status.authenticated is not a boolean";
  if (!optional(status.error, (v) => typeof v === "string")) return "status.error is not a string";
  if (!optional(status.audiences, isStrings)) return "status.audiences is not a list of strings";
  const user = status.user;
  if (user === undefined) return status as ReviewStatus;
  if (!isObject(user)) return "status.user is not an object";
  for (const field of ["username", "uid"] as const) {
    if (!optional(user[field], (v) => typeof v === "string")) return `status.user.${field} is not a string`;
  }
  if (!optional(user.groups, isStrings)) return "status.user.groups is not a list of strings";
  if (!optional(user.extra, (v) => isObject(v) && Object.values(v).every(isStrings))) {
    return "status.user.extra is not a map of string lists";
  }
  return status as ReviewStatus;
}
