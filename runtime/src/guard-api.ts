// What the guard is, what it is given and what it answers: the types shared
// by guard.ts, its options and its verdicts, below all three.

import type { AuditHook } from "./audit.js";
import type { Decision, DenyReason } from "./decision.js";
import type { Principal } from "./principal.js";
import type { RelationChecker } from "./relations.js";
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
export type Authenticate<P extends Principal = Principal> = ((request: AuthnRequest) => P | undefined | Promise<P | undefined>) & {
  /**
   * The principals it returns, when it knows them (authenticateWith lists
   * those of its authenticators). The guard then refuses to start with a
   * binding to an attribute none of them carries, which could only ever be
   * denied `attribute_missing`.
   */
  readonly produces?: readonly ProducedPrincipals[] | undefined;
};

/** What one authenticator's principals can be. */
export interface ProducedPrincipals {
  /** Their kinds; undefined when any kind (e.g. a kind read from a token claim without a closed list). */
  readonly kinds?: readonly string[] | undefined;
  /** Every attribute they can carry. */
  readonly attributes: readonly string[];
}

export interface GuardOptions<P extends Principal = Principal> {
  readonly authenticate: Authenticate<P>;
  /**
   * How long an authenticator that returns a promise may take (default 5000).
   * Past it the call fails Unavailable (audit reason `authenticator_timeout`)
   * and the late result is ignored.
   */
  readonly authenticateTimeoutMs?: number;
  /**
   * The relationship engine that answers `relations` in rules, e.g.
   * `createSpiceDBChecker` from `protoauthz/spicedb`. Required when any table
   * uses relations: without it the guard refuses to start.
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
  /**
   * Synchronous when the authenticator is; a promise otherwise. Never throws
   * or rejects. The request goes to the authenticator as it is.
   */
  authorize(request: AuthnRequest): CallAuthorization<P> | Promise<CallAuthorization<P>>;
}
