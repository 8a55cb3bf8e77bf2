import type { AuthzEvent } from "./audit.js";
import type { Decision } from "./decision.js";
import type { Principal } from "./principal.js";
import type { TableEntry } from "./tables.js";

/** Who called, as events name them. */
export interface AuditCaller {
  readonly kind: string;
  readonly subject: string;
  /** What the authenticator could not map (claim mapping), joined for the event's detail. */
  readonly warnings?: string | undefined;
}

export function auditCaller(principal: Principal): AuditCaller {
  const warnings = principal.warnings;
  return {
    kind: principal.kind,
    subject: principal.subject,
    warnings: Array.isArray(warnings) && warnings.length > 0 ? warnings.join("; ") : undefined,
  };
}

export function auditEvent(
  procedure: string,
  entry: TableEntry | undefined,
  decision: Decision,
  enforced: boolean,
  caller?: AuditCaller,
): AuthzEvent {
  const event: { -readonly [K in keyof AuthzEvent]: AuthzEvent[K] } = {
    procedure,
    access: entry?.checked.rule.access,
    source: entry?.source,
    allowed: decision.allowed,
    reason: decision.reason,
    enforced,
  };
  if (!decision.allowed) event.code = decision.code;
  if (caller !== undefined) event.principal = { kind: caller.kind, subject: caller.subject };
  if (decision.alternative !== undefined) event.alternative = decision.alternative;
  if (decision.relation !== undefined) event.relation = decision.relation;
  if (decision.condition !== undefined) event.condition = decision.condition;
  if (decision.detail !== undefined) event.detail = decision.detail;
  else if (caller?.warnings !== undefined) event.detail = caller.warnings;
  return event;
}
