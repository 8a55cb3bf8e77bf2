import type { AuditHook } from "./audit.js";
import { callerOf, eventOf } from "./audit-event.js";
import { failure, withDeadline } from "./authentication-failure.js";
import { allow, type Decision, type DenyReason, deny } from "./decision.js";
import { relationCheckerOf, timeoutOption } from "./guard-options.js";
import type { Principal } from "./principal.js";
import type { RelationChecker } from "./relations.js";
import type { ServiceAuthz } from "./rule.js";
import { compileTables, type TableEntry } from "./tables.js";
import { isThenable } from "./thenable.js";
import type { Vocabulary } from "./validate.js";
import { type CallState, Decided, DecidedByMessages, type RecordDecision, type RelationContext } from "./verdicts.js";

/** The TLS peer of a call, where the server verified one. */
export interface Peer {
  /**
   * Whether the TLS layer verified the certificate chain. The mTLS
   * authenticator verifies the chain against its own CAs either way, and
   * ignores a peer marked false; undefined means the server did not say.
   */
  readonly authorized: boolean | undefined;
  /** The peer certificate (DER in `raw`). */
  readonly certificate?: { readonly raw: Uint8Array } | undefined;
}

/**
 * Request headers (gRPC metadata) as authenticators read them: the part of
 * the Headers interface both Connect and grpc-js can serve without a copy.
 */
export type RequestHeaders = Pick<Headers, "get" | "has" | "forEach">;

/** What an authenticator sees of a call. */
export interface AuthnRequest {
  /** "/pkg.Service/Method" of the dispatched method. */
  readonly procedure: string;
  /** Request headers (gRPC metadata); repeated headers are joined by ", ". */
  readonly header: RequestHeaders;
  readonly peer: Peer | undefined;
  /**
   * The HTTP method of the request ("POST", "GET"), where the adapter knows
   * it. Cookie authenticators refuse a call whose method is not known.
   */
  readonly httpMethod?: string | undefined;
  /** Whether the RPC is declared `idempotency_level = NO_SIDE_EFFECTS` (read from its descriptor). */
  readonly noSideEffects?: boolean | undefined;
}

/**
 * Establishes who is calling. Return undefined when no credentials were
 * presented; throw AuthenticationError when credentials are invalid; any
 * other throw is an infrastructure failure and the call fails Unavailable.
 */
export type Authenticate<P extends Principal = Principal> = (request: AuthnRequest) => P | undefined | Promise<P | undefined>;

export interface GuardOptions<P extends Principal = Principal> {
  readonly authenticate: Authenticate<P>;
  /**
   * How long an authenticator that returns a promise may take (default 5000).
   * Past it the call fails Unavailable (audit reason `authenticator_timeout`)
   * and the late result is ignored.
   */
  readonly authenticateTimeoutMs?: number;
  /**
   * The relationship engine that answers `relations` in rules. Required when
   * any table uses relations: without it the guard refuses to start.
   */
  readonly relations?: RelationChecker;
  /**
   * How long one call's relation checks may take (default 1000). Past it the
   * signal given to the checker is aborted and the call fails Unavailable
   * (audit reason `relation_timeout`), never allowed.
   */
  readonly relationTimeoutMs?: number;
  /** Receives one event per decision. May return a promise; throws and rejections are swallowed. */
  readonly audit?: AuditHook;
  /** Closed names the tables must use, checked at creation. */
  readonly vocabulary?: Vocabulary;
  /**
   * Records would-be denials in audit events (enforced: false) and lets every
   * call through. For rolling out rules against live traffic only.
   */
  readonly dangerouslyDryRun?: boolean;
}

/** The guard's verdict on a call, before its first message. */
export interface CallAuthorization<P extends Principal = Principal> {
  /** "/pkg.Service/Method" of the call. */
  readonly procedure: string;
  /** Whether the call may proceed; false means reject with `decision.code`. */
  readonly decision: Decision;
  readonly principal: P | undefined;
  /**
   * True when request messages decide the call (bindings or relations): a
   * client or bidi stream's handler must not start before its first message
   * passed `checkMessage`.
   */
  readonly checksMessages: boolean;
  /**
   * Checks one inbound request message. The first message pins the values of
   * the fields the rule names (bindings, relation ids); a later one that
   * differs is denied. A promise only when the engine must be asked.
   */
  checkMessage(message: unknown): Decision | Promise<Decision>;
  /** The request stream ended: denied (`message_missing`) when messages decide the call and none was admitted. */
  checkEnd(): Decision;
  /**
   * The first denial of this call that was recorded but not enforced (dry
   * run, or an `audit` rule), or undefined while the rule admitted every
   * part of the call checked so far. `principalOf` reads it.
   */
  notEnforced(): DenyReason | undefined;
}

/** Framework-independent enforcement; adapters translate to and from it. */
export interface Guard<P extends Principal = Principal> {
  /** Every procedure the guard has a rule for. */
  readonly procedures: ReadonlySet<string>;
  readonly dryRun: boolean;
  entry(procedure: string): TableEntry | undefined;
  /**
   * Synchronous when the authenticator is; a promise otherwise. Never throws
   * or rejects. The request goes to the authenticator as it is.
   */
  authorize(request: AuthnRequest): CallAuthorization<P> | Promise<CallAuthorization<P>>;
}

/** Builds a guard; throws AuthzConfigError when any table or option is invalid. */
export function createGuard<P extends Principal>(tables: readonly ServiceAuthz[], options: GuardOptions<P>): Guard<P> {
  if (typeof options?.authenticate !== "function") {
    throw new TypeError("protoauthz: createGuard needs an authenticate function; return undefined from it for anonymous callers");
  }
  const entries = compileTables(tables, options.vocabulary);
  const authenticateTimeoutMs = timeoutOption(options, "authenticateTimeoutMs", 5000);
  const relationTimeoutMs = timeoutOption(options, "relationTimeoutMs", 1000);
  const checker = relationCheckerOf(entries, options.relations, options.vocabulary);
  const dryRun = options.dangerouslyDryRun === true;
  if (dryRun) {
    console.warn("protoauthz: DRY RUN — authorization is NOT enforced; denials are only recorded in audit events");
  }
  warnMigrationMode(entries);
  const audit = options.audit;
  /**
   * Audits a decision and returns what to enforce: a denial is let through
   * (and noted in `state`) in dry run and on an `audit` rule, which never refuses.
   */
  const recorder = (procedure: string, entry: TableEntry | undefined, state: CallState, principal?: Principal): RecordDecision =>
    // Enforcing, and nobody listening: nothing is built per call (this runs on every call).
    audit === undefined && !dryRun && entry?.checked.rule.access !== "audit" ? asDecided : auditing(procedure, entry, state, principal);
  const auditing = (procedure: string, entry: TableEntry | undefined, state: CallState, principal?: Principal): RecordDecision => {
    const auditOnly = entry?.checked.rule.access === "audit";
    // Read once: events never touch the authenticator's object again.
    const caller = audit === undefined || principal === undefined ? undefined : callerOf(principal);
    return (decision) => {
      const enforced = decision.allowed || !(dryRun || auditOnly);
      if (audit !== undefined) {
        try {
          const pending = audit(eventOf(procedure, entry, decision, enforced, caller));
          if (isThenable(pending)) Promise.resolve(pending).catch(ignore);
        } catch {
          // An audit sink failing must neither allow nor deny a call.
        }
      }
      if (enforced) return decision;
      if (!decision.allowed) state.notEnforced ??= decision.reason;
      return allow(auditOnly ? "audited" : "authorized");
    };
  };
  const relations: RelationContext = { checker, timeoutMs: relationTimeoutMs };

  // Not async: an authenticator that answers synchronously (API key tables,
  // tests) costs no promise; one that returns a promise is awaited, up to its deadline.
  function authorize(request: AuthnRequest): CallAuthorization<P> | Promise<CallAuthorization<P>> {
    const { procedure } = request;
    const entry = entries.get(procedure);
    const state: CallState = { notEnforced: undefined };
    if (entry === undefined) return new Decided<P>(procedure, state, recorder(procedure, entry, state)(deny("no_rule")));
    if (entry.checked.rule.access === "deny")
      return new Decided<P>(procedure, state, recorder(procedure, entry, state)(deny("rule_denies")));
    try {
      const authenticated = options.authenticate(request);
      if (!isThenable(authenticated)) return admitted(entry, state, authenticated);
      return withDeadline(authenticated, authenticateTimeoutMs).then(
        (principal) => admitted(entry, state, principal),
        (error) => failed(entry, state, error),
      );
    } catch (error) {
      return failed(entry, state, error);
    }
  }

  function failed(entry: TableEntry, state: CallState, error: unknown): CallAuthorization<P> {
    return new Decided<P>(entry.procedure, state, recorder(entry.procedure, entry, state)(failure(error)));
  }

  /** The verdict for an authenticated (or anonymous) caller; never throws. */
  function admitted(entry: TableEntry, state: CallState, principal: P | undefined): CallAuthorization<P> {
    let record = recorder(entry.procedure, entry, state);
    try {
      if (principal !== undefined && !isPrincipal(principal)) {
        throw new TypeError("authenticate returned something that is not a principal (kind, subject, scopes, roles, attributes)");
      }
      if (principal !== undefined) record = recorder(entry.procedure, entry, state, principal);
      const caller = entry.checked.caller(principal);
      if (caller === "per_message" && principal !== undefined) return new DecidedByMessages(entry, state, record, relations, principal);
      return new Decided(entry.procedure, state, record(caller === "per_message" ? deny("no_rule") : caller), principal);
    } catch (error) {
      // A principal whose getters throw fails here, the same on every transport.
      return new Decided<P>(entry.procedure, state, record(failure(error)));
    }
  }

  return {
    procedures: new Set(entries.keys()),
    dryRun,
    entry: (procedure) => entries.get(procedure),
    authorize,
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
