/** Why a call was allowed. */
export type AllowReason = "public" | "authorized" | "audited"; // an audit rule (undeclared=audit): allowed, only recorded

/**
 * Why a call was denied. Reported to audit hooks only; the caller sees a
 * generic message that never names what was required.
 */
export type DenyReason =
  | "no_rule" // the method has no entry in any table
  | "rule_denies" // the rule is `deny`
  | "no_credentials" // authenticated rule, no principal
  | "invalid_credentials" // credentials were presented and rejected
  | "cross_site_request" // a cookie credential on a request that did not show an allowed origin (CSRF defence)
  | "authenticator_failed" // the authenticator threw or returned a broken principal: infrastructure failure
  | "authenticator_timeout" // the authenticator did not settle within authenticateTimeoutMs
  | "kind_not_allowed"
  | "missing_scope"
  | "missing_role"
  | "binding_unset" // the bound request field is empty or zero
  | "attribute_missing" // the principal lacks the bound attribute
  | "binding_mismatch" // field and attribute differ
  | "binding_changed" // a later stream message bound another value or resource id than the first
  | "condition_false" // a condition evaluated to false
  | "condition_error" // a condition could not be evaluated (a missing map key, an overflow, …): denied, never allowed
  | "message_missing" // a client stream ended before any message could be checked
  | "relation_id_unset" // a relation's id field is empty or zero: denied without asking the engine
  | "relation_denied" // the engine says the caller lacks the permission (or the resource does not exist)
  | "relation_subject_unknown" // the caller's subject type is not in the engine's schema: held by nobody, not asked
  | "relation_token_invalid" // the caller's consistency token (ZedToken) is malformed: asking again never helps
  | "relation_unavailable" // the engine failed or answered nonsense
  | "relation_timeout"; // the engine did not answer within relationTimeoutMs

/** The status a denial maps to, in Connect/gRPC terms. */
export type DenyCode = "unauthenticated" | "permission_denied" | "unavailable";

/** Which part of a rule decided; absent when the rule has a single block and no relation decided. */
export interface Attribution {
  /** 1-based index of the `any_of` alternative that admitted the caller, or whose denial is reported. */
  readonly alternative?: number;
  /** The relation that decided, as "resourceType#permission". */
  readonly relation?: string;
  /** The condition that denied: its 1-based index in its rule or alternative, and its text. */
  readonly condition?: ConditionRef;
  /** For operators: why an engine or authenticator failed. Never a token or message content. */
  readonly detail?: string;
}

/** A condition as audit events name it. */
export interface ConditionRef {
  /** 1-based, in the `conditions` of its rule or alternative. */
  readonly index: number;
  readonly expression: string;
}

export type Decision =
  | ({ readonly allowed: true; readonly reason: AllowReason } & Attribution)
  | ({ readonly allowed: false; readonly reason: DenyReason; readonly code: DenyCode } & Attribution);

export type Denial = Decision & { readonly allowed: false };

const codeOf: Record<DenyReason, DenyCode> = {
  no_rule: "permission_denied",
  rule_denies: "permission_denied",
  no_credentials: "unauthenticated",
  invalid_credentials: "unauthenticated",
  cross_site_request: "unauthenticated",
  authenticator_failed: "unavailable",
  authenticator_timeout: "unavailable",
  kind_not_allowed: "permission_denied",
  missing_scope: "permission_denied",
  missing_role: "permission_denied",
  binding_unset: "permission_denied",
  attribute_missing: "permission_denied",
  binding_mismatch: "permission_denied",
  binding_changed: "permission_denied",
  condition_false: "permission_denied",
  condition_error: "permission_denied",
  message_missing: "permission_denied",
  relation_id_unset: "permission_denied",
  relation_denied: "permission_denied",
  relation_subject_unknown: "permission_denied",
  relation_token_invalid: "permission_denied",
  relation_unavailable: "unavailable",
  relation_timeout: "unavailable",
};

// Shared by every call: frozen, so no caller (an audit hook, an adapter) can
// change the answer another call gets.
const allowedBy: Readonly<Record<AllowReason, Decision>> = Object.freeze({
  public: Object.freeze({ allowed: true, reason: "public" }),
  authorized: Object.freeze({ allowed: true, reason: "authorized" }),
  audited: Object.freeze({ allowed: true, reason: "audited" }),
});

const deniedBy = Object.freeze(
  Object.fromEntries(Object.entries(codeOf).map(([reason, code]) => [reason, Object.freeze({ allowed: false, reason, code })])),
) as Readonly<Record<DenyReason, Denial>>;

/** Shared, frozen decisions: the hot path allocates none. */
export function allow(reason: AllowReason): Decision {
  return allowedBy[reason];
}

export function deny(reason: DenyReason): Denial {
  return deniedBy[reason];
}

/**
 * A decision that says which alternative, relation or failure decided
 * (allocates; off the plain path). Frozen: a rule's precomputed ones are
 * shared by every call it admits.
 */
export function attributed<D extends Decision>(decision: D, attribution: Attribution): D {
  const copy: D = { ...decision, ...attribution };
  Object.freeze(copy);
  return copy;
}

/** The message a denied caller sees: the same for every reason with a code. */
export const publicMessages: Readonly<Record<DenyCode, string>> = Object.freeze({
  unauthenticated: "authentication required",
  permission_denied: "permission denied",
  unavailable: "authorization is unavailable, try again later",
});
