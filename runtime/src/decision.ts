/** Why a call was allowed. */
export type AllowReason = "public" | "authorized";

/**
 * Why a call was denied. Reported to audit hooks only; the caller sees a
 * generic message that never names what was required.
 */
export type DenyReason =
  | "no_rule" // the method has no entry in any table
  | "rule_denies" // the rule is `deny`
  | "no_credentials" // authenticated rule, no principal
  | "invalid_credentials" // credentials were presented and rejected
  | "authenticator_failed" // the authenticator threw: infrastructure failure
  | "kind_not_allowed"
  | "missing_scope"
  | "missing_role"
  | "binding_unset" // the bound request field is empty
  | "attribute_missing" // the principal lacks the bound attribute
  | "binding_mismatch" // field and attribute differ
  | "binding_changed"; // a later stream message bound another value than the first

/** The status a denial maps to, in Connect/gRPC terms. */
export type DenyCode = "unauthenticated" | "permission_denied" | "unavailable";

export type Decision =
  | { readonly allowed: true; readonly reason: AllowReason }
  | { readonly allowed: false; readonly reason: DenyReason; readonly code: DenyCode };

const codeOf: Record<DenyReason, DenyCode> = {
  no_rule: "permission_denied",
  rule_denies: "permission_denied",
  no_credentials: "unauthenticated",
  invalid_credentials: "unauthenticated",
  authenticator_failed: "unavailable",
  kind_not_allowed: "permission_denied",
  missing_scope: "permission_denied",
  missing_role: "permission_denied",
  binding_unset: "permission_denied",
  attribute_missing: "permission_denied",
  binding_mismatch: "permission_denied",
  binding_changed: "permission_denied",
};

const allowedBy: Record<AllowReason, Decision> = {
  public: { allowed: true, reason: "public" },
  authorized: { allowed: true, reason: "authorized" },
};

const deniedBy = Object.fromEntries(Object.entries(codeOf).map(([reason, code]) => [reason, { allowed: false, reason, code }])) as Record<
  DenyReason,
  Decision & { allowed: false }
>;

export function allow(reason: AllowReason): Decision {
  return allowedBy[reason];
}

export function deny(reason: DenyReason): Decision & { allowed: false } {
  return deniedBy[reason];
}

/** The message a denied caller sees: the same for every reason with a code. */
export const publicMessageOf: Record<DenyCode, string> = {
  unauthenticated: "authentication required",
  permission_denied: "permission denied",
  unavailable: "authentication is unavailable, try again later",
};
