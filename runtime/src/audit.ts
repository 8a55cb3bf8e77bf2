import type { AllowReason, ConditionRef, DenyCode, DenyReason } from "./decision.js";
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
  /**
   * False when a denial was recorded but not enforced: in dry-run mode, and
   * on an `audit` rule (undeclared=audit), which lets every call through.
   */
  readonly enforced: boolean;
  /** The rule's access, or undefined when the method has no rule. */
  readonly access?: Rule["access"] | undefined;
  readonly source?: RuleSource | undefined;
  /** Who called, when credentials were presented and accepted (also on an `audit` rule). */
  readonly principal?: { readonly kind: string; readonly subject: string };
  /** 1-based index of the `any_of` alternative that admitted the caller, or whose denial is reported. */
  readonly alternative?: number;
  /** The relation(s) that decided, as "resourceType#permission" (joined by " & "). Never the resource id. */
  readonly relation?: string;
  /** The condition that denied (condition_false, condition_error): its 1-based index and its text. */
  readonly condition?: ConditionRef;
  /** Why an authenticator or relation engine rejected or failed, for operators. */
  readonly detail?: string;
}

/**
 * Receives every event. May be async (return a promise): a rejection, like a
 * throw, is swallowed; an audit sink failing must neither allow nor deny a
 * call, nor crash the server. The result is otherwise ignored, so
 * `(e) => events.push(e)` is fine too.
 */
export type AuditHook = (event: AuthzEvent) => PromiseLike<unknown> | unknown;
