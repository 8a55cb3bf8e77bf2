import type { AllowReason, DenyCode, DenyReason } from "./decision.js";
import type { Rule, RuleSource } from "./rule.js";

/**
 * One authorization decision. Carries no token, header or message content:
 * safe to log as it is.
 */
export interface AuthzEvent {
  /** "/pkg.Service/Method" of the dispatched method. */
  readonly procedure: string;
  readonly allowed: boolean;
  readonly reason: AllowReason | DenyReason;
  /** The status a denial maps to; absent when allowed. */
  readonly code?: DenyCode;
  /** False only in dry-run mode, where a denial was recorded but not enforced. */
  readonly enforced: boolean;
  /** The rule's access, or undefined when the method has no rule. */
  readonly access?: Rule["access"] | undefined;
  readonly source?: RuleSource | undefined;
  readonly principal?: { readonly kind: string; readonly subject: string };
  /** Why an authenticator rejected credentials or failed, for operators. */
  readonly detail?: string;
}

export type AuditHook = (event: AuthzEvent) => void;
