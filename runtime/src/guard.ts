import type { AuditHook, AuthzEvent } from "./audit.js";
import { allow, type Decision, deny } from "./decision.js";
import { AuthenticationError } from "./errors.js";
import type { Principal } from "./principal.js";
import type { ServiceAuthz } from "./rule.js";
import { compileTables, type TableEntry } from "./tables.js";
import type { Vocabulary } from "./validate.js";

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
}

/**
 * Establishes who is calling. Return undefined when no credentials were
 * presented; throw AuthenticationError when credentials are invalid; any
 * other throw is an infrastructure failure and the call fails Unavailable.
 */
export type Authenticate<P extends Principal = Principal> = (request: AuthnRequest) => P | undefined | Promise<P | undefined>;

export interface GuardOptions<P extends Principal = Principal> {
  readonly authenticate: Authenticate<P>;
  /** Receives one event per decision. Must not throw; errors are swallowed. */
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
  /** Whether the call may proceed; false means reject with `decision.code`. */
  readonly decision: Decision;
  readonly principal: P | undefined;
  /**
   * Checks one inbound request message against the rule's bindings. The first
   * message pins the bound values; a later one that differs is denied.
   */
  checkMessage(message: unknown): Decision;
}

/** Framework-independent enforcement; adapters translate to and from it. */
export interface Guard<P extends Principal = Principal> {
  /** Every procedure the guard has a rule for. */
  readonly procedures: ReadonlySet<string>;
  readonly dryRun: boolean;
  entry(procedure: string): TableEntry | undefined;
  /** Synchronous when the authenticator is; a promise otherwise. */
  authorize(procedure: string, request: Omit<AuthnRequest, "procedure">): CallAuthorization<P> | Promise<CallAuthorization<P>>;
}

/** Builds a guard; throws AuthzConfigError when any table is invalid. */
export function createGuard<P extends Principal>(tables: readonly ServiceAuthz[], options: GuardOptions<P>): Guard<P> {
  if (typeof options?.authenticate !== "function") {
    throw new TypeError("protoauthz: createGuard needs an authenticate function; return undefined from it for anonymous callers");
  }
  const entries = compileTables(tables, options.vocabulary);
  const dryRun = options.dangerouslyDryRun === true;
  if (dryRun) {
    console.warn("protoauthz: DRY RUN — authorization is NOT enforced; denials are only recorded in audit events");
  }
  const audit = options.audit;
  const emit = (event: AuthzEvent) => {
    try {
      audit?.(event);
    } catch {
      // An audit sink failing must neither allow nor deny a call.
    }
  };

  /** Audits a decision and returns what to enforce (everything allowed in dry run). */
  const recorder =
    (procedure: string, entry: TableEntry | undefined) =>
    (decision: Decision, principal?: Principal, detail?: string): Decision => {
      // Built only when someone listens: this runs on every call.
      if (audit !== undefined) emit(eventOf(procedure, entry, decision, dryRun, principal, detail));
      return decision.allowed || !dryRun ? decision : allow("authorized");
    };

  // Not async: an authenticator that answers synchronously (API key tables,
  // tests) costs no promise; one that returns a promise is awaited.
  function authorize(procedure: string, request: Omit<AuthnRequest, "procedure">): CallAuthorization<P> | Promise<CallAuthorization<P>> {
    const entry = entries.get(procedure);
    const record = recorder(procedure, entry);
    const closed = (decision: Decision, principal?: P, detail?: string): CallAuthorization<P> => {
      const effective = record(decision, principal, detail);
      return { decision: effective, principal, checkMessage: () => effective };
    };

    if (entry === undefined) return closed(deny("no_rule"));
    if (entry.checked.rule.access === "deny") return closed(deny("rule_denies"));

    const failed = (error: unknown) => {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return closed(deny(error instanceof AuthenticationError ? "invalid_credentials" : "authenticator_failed"), undefined, detail);
    };
    let authenticated: ReturnType<Authenticate<P>>;
    try {
      authenticated = options.authenticate({ procedure, header: request.header, peer: request.peer });
    } catch (error) {
      return failed(error);
    }
    const verdict = (principal: P | undefined) =>
      principal === undefined || isPrincipal(principal)
        ? admitted(entry, principal)
        : failed(new TypeError("authenticate returned something that is not a principal (kind, subject, scopes, roles, attributes)"));
    return isThenable(authenticated) ? Promise.resolve(authenticated).then(verdict, failed) : verdict(authenticated);
  }

  /** The verdict for an authenticated (or anonymous) caller. */
  function admitted(entry: TableEntry, principal: P | undefined): CallAuthorization<P> {
    const record = recorder(entry.procedure, entry);
    const caller = entry.checked.caller(principal);
    if (!caller.allowed || !entry.hasBindings || principal === undefined) {
      const effective = record(caller, principal);
      return { decision: effective, principal, checkMessage: () => effective };
    }

    // Bindings are decided per message; the first message's decision is the
    // call's event, later messages only report denials.
    let pinned: readonly (string | undefined)[] | undefined;
    const checkMessage = (message: unknown): Decision => {
      const values = entry.checked.bound(message);
      const first = pinned === undefined;
      const decision = !first && !sameValues(pinned ?? [], values) ? deny("binding_changed") : entry.checked.matches(principal, values);
      if (first && decision.allowed) pinned = values;
      return first || !decision.allowed ? record(decision, principal) : decision;
    };
    return { decision: caller, principal, checkMessage };
  }

  return {
    procedures: new Set(entries.keys()),
    dryRun,
    entry: (procedure) => entries.get(procedure),
    authorize,
  };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === "function";
}

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

function sameValues(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function eventOf(
  procedure: string,
  entry: TableEntry | undefined,
  decision: Decision,
  dryRun: boolean,
  principal?: Principal,
  detail?: string,
): AuthzEvent {
  const event: { -readonly [K in keyof AuthzEvent]: AuthzEvent[K] } = {
    procedure,
    access: entry?.checked.rule.access,
    source: entry?.source,
    allowed: decision.allowed,
    reason: decision.reason,
    enforced: decision.allowed || !dryRun,
  };
  if (!decision.allowed) event.code = decision.code;
  if (principal !== undefined) event.principal = { kind: principal.kind, subject: principal.subject };
  if (detail !== undefined) event.detail = detail;
  else if (principal?.warnings !== undefined && principal.warnings.length > 0) event.detail = principal.warnings.join("; ");
  return event;
}
