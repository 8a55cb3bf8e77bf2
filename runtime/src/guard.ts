import type { AuditHook } from "./audit.js";
import { auditCaller, auditEvent } from "./audit-event.js";
import { failure, withDeadline } from "./authentication-failure.js";
import { allow, deny } from "./decision.js";
import { AuthzConfigError, type ConfigProblem, isAuthzConfigError } from "./errors.js";
import type { Authenticate, AuthnRequest, CallAuthorization, Guard, GuardOptions } from "./guard-api.js";
import { acceptedRelationChecker, authenticateProblems, timeoutOption, unproducibleAttributes } from "./guard-options.js";
import type { Principal } from "./principal.js";
import type { ServiceAuthz } from "./rule.js";
import { compileTables, type TableEntry } from "./tables.js";
import { isThenable } from "./thenable.js";
import { type CallState, Decided, DecidedByMessages, type RecordDecision, type RelationContext } from "./verdicts.js";

export type {
  Authenticate,
  AuthnRequest,
  CallAuthorization,
  Guard,
  GuardOptions,
  Peer,
  ProducedPrincipals,
  RequestHeaders,
} from "./guard-api.js";

/** Everything a guard decides with, fixed when it starts; every function below reads it. */
interface GuardContext<P extends Principal> {
  readonly entries: ReadonlyMap<string, TableEntry>;
  readonly authenticate: Authenticate<P>;
  readonly authenticateTimeoutMs: number;
  readonly relations: RelationContext;
  readonly audit: AuditHook | undefined;
  readonly dryRun: boolean;
}

/** Builds a guard; throws AuthzConfigError listing every problem when any table or option is invalid. */
export function createGuard<P extends Principal>(tables: readonly ServiceAuthz[], options: GuardOptions<P>): Guard<P> {
  const context = startGuard(tables, options);
  if (context.dryRun) {
    console.warn("protoauthz: DRY RUN — authorization is NOT enforced; denials are only recorded in audit events");
  }
  warnMigrationMode(context.entries);
  return Object.freeze({
    procedures: new Set(context.entries.keys()),
    dryRun: context.dryRun,
    authorize: (request: AuthnRequest) => authorize(context, request),
  });
}

/** Checks every option and table, and throws once with all problems. */
function startGuard<P extends Principal>(tables: readonly ServiceAuthz[], options: GuardOptions<P>): GuardContext<P> {
  const problems: ConfigProblem[] = authenticateProblems(options);
  if (problems.length > 0) throw new AuthzConfigError(problems);
  let entries: ReadonlyMap<string, TableEntry> = new Map();
  try {
    entries = compileTables(tables, options.vocabulary);
  } catch (error) {
    // The tables' problems and the options' come in one error.
    if (!isAuthzConfigError(error)) throw error;
    problems.push(...error.problems);
  }
  const authenticateTimeoutMs = timeoutOption(options, "authenticateTimeoutMs", 5000, problems);
  const relationTimeoutMs = timeoutOption(options, "relationTimeoutMs", 1000, problems);
  const checker = acceptedRelationChecker(entries, options.relations, options.vocabulary, problems);
  unproducibleAttributes(entries, options.authenticate as Authenticate<never>, problems);
  if (problems.length > 0) throw new AuthzConfigError(problems);
  return {
    entries,
    authenticate: options.authenticate,
    authenticateTimeoutMs,
    relations: Object.freeze({ checker, timeoutMs: relationTimeoutMs }),
    audit: options.audit,
    dryRun: options.dangerouslyDryRun === true,
  };
}

// Not async: an authenticator that answers synchronously (API key tables,
// tests) costs no promise; one that returns a promise is awaited, up to its deadline.
function authorize<P extends Principal>(
  context: GuardContext<P>,
  request: AuthnRequest,
): CallAuthorization<P> | Promise<CallAuthorization<P>> {
  const { procedure } = request;
  const entry = context.entries.get(procedure);
  const state: CallState = { notEnforced: undefined };
  if (entry === undefined) return new Decided<P>(procedure, state, recorder(context, procedure, entry, state)(deny("no_rule")));
  if (entry.checked.rule.access === "deny") {
    return new Decided<P>(procedure, state, recorder(context, procedure, entry, state)(deny("rule_denies")));
  }
  try {
    const authenticated = context.authenticate(request);
    if (!isThenable(authenticated)) return admitted(context, entry, state, authenticated);
    return withDeadline(authenticated, context.authenticateTimeoutMs).then(
      (principal) => admitted(context, entry, state, principal),
      (error) => failed(context, entry, state, error),
    );
  } catch (error) {
    return failed(context, entry, state, error);
  }
}

function failed<P extends Principal>(context: GuardContext<P>, entry: TableEntry, state: CallState, error: unknown): CallAuthorization<P> {
  return new Decided<P>(entry.procedure, state, recorder(context, entry.procedure, entry, state)(failure(error)));
}

/** The verdict for an authenticated (or anonymous) caller; never throws. */
function admitted<P extends Principal>(
  context: GuardContext<P>,
  entry: TableEntry,
  state: CallState,
  principal: P | undefined,
): CallAuthorization<P> {
  let record = recorder(context, entry.procedure, entry, state);
  try {
    if (principal !== undefined && !isPrincipal(principal)) {
      throw new TypeError("authenticate returned something that is not a principal (kind, subject, scopes, roles, attributes)");
    }
    if (principal !== undefined) record = recorder(context, entry.procedure, entry, state, principal);
    const caller = entry.checked.caller(principal);
    if (caller === "per_message" && principal !== undefined) {
      return new DecidedByMessages(entry, state, record, context.relations, principal);
    }
    return new Decided(entry.procedure, state, record(caller === "per_message" ? deny("no_rule") : caller), principal);
  } catch (error) {
    // A principal whose getters throw fails here, the same on every transport.
    return new Decided<P>(entry.procedure, state, record(failure(error)));
  }
}

/**
 * Audits a decision and returns what to enforce: a denial is let through
 * (and noted in `state`) in dry run and on an `audit` rule, which never refuses.
 */
function recorder(
  context: GuardContext<Principal>,
  procedure: string,
  entry: TableEntry | undefined,
  state: CallState,
  principal?: Principal,
): RecordDecision {
  // Enforcing, and nobody listening: nothing is built per call (this runs on every call).
  if (context.audit === undefined && !context.dryRun && entry?.checked.rule.access !== "audit") return asDecided;
  const { audit, dryRun } = context;
  const auditOnly = entry?.checked.rule.access === "audit";
  // Read once: events never touch the authenticator's object again.
  const caller = audit === undefined || principal === undefined ? undefined : auditCaller(principal);
  return (decision) => {
    const enforced = decision.allowed || !(dryRun || auditOnly);
    if (audit !== undefined) {
      try {
        const pending = audit(auditEvent(procedure, entry, decision, enforced, caller));
        if (isThenable(pending)) Promise.resolve(pending).catch(ignore);
      } catch {
        // An audit sink failing must neither allow nor deny a call.
      }
    }
    if (enforced) return decision;
    if (!decision.allowed) state.notEnforced ??= decision.reason;
    return allow(auditOnly ? "audited" : "authorized");
  };
}

/** Migration mode is never silent: every start names how many RPCs nothing protects yet. */
function warnMigrationMode(entries: ReadonlyMap<string, TableEntry>): void {
  const audited = [...entries.values()].filter((e) => e.checked.rule.access === "audit").map((e) => e.procedure);
  if (audited.length === 0) return;
  const examples = audited.slice(0, 3).join(", ") + (audited.length > 3 ? ", …" : "");
  console.warn(
    `protoauthz: MIGRATION MODE — ${audited.length} RPC${audited.length === 1 ? " has" : "s have"} no rule (undeclared=audit): anyone may call ${audited.length === 1 ? "it" : "them"}; callers are only authenticated and audited (${examples})`,
  );
}

const ignore = () => {};
const asDecided: RecordDecision = (decision) => decision;

/** The shape the decision core relies on; anything else fails closed. */
function isPrincipal(value: unknown): value is Principal {
  const p = value as Partial<Principal> | null;
  return (
    typeof p === "object" &&
    p !== null &&
    typeof p.kind === "string" &&
    typeof p.subject === "string" &&
    Array.isArray(p.scopes) &&
    Array.isArray(p.roles) &&
    typeof p.attributes === "object" &&
    p.attributes !== null
  );
}
