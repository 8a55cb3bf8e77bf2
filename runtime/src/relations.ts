import { type Brand, brand, brandedInstanceOf, type ConfigProblem } from "./errors.js";
import type { Principal } from "./principal.js";

/** One question for the relationship engine: may the caller `permission` on `resourceType:resourceId`? */
export interface RelationQuery {
  readonly resourceType: string;
  readonly resourceId: string;
  readonly permission: string;
}

/** One relation a table uses, handed to the checker when the guard starts. */
export interface RelationUse {
  /** "/pkg.Service/Method" of the RPC whose rule names the relation. */
  readonly procedure: string;
  readonly resourceType: string;
  readonly permission: string;
  /**
   * Principal kinds that can reach this check; empty means any kind. For a
   * rule that admits any kind, the guard lists the vocabulary's kinds here
   * (and sets `anyKind`) when it has a vocabulary.
   */
  readonly principals: readonly string[];
  /** The rule admits any kind: `principals` are the vocabulary's kinds, not the rule's. */
  readonly anyKind?: boolean;
}

/** Why a checker refuses a call for good (see RelationRefusal). */
export type RelationRefusalReason = "relation_subject_unknown" | "relation_token_invalid";

/**
 * Thrown or rejected by a checker when the call itself can never be answered,
 * so that asking again would never help: the caller's subject type is not in
 * the engine's schema, or the caller's consistency token is malformed. The
 * guard denies the call PermissionDenied with `reason` (never Unavailable,
 * which tells the caller to try again).
 */
export class RelationRefusal extends Error {
  override name = "RelationRefusal";
  readonly [brand]: Brand = "RelationRefusal";
  constructor(
    readonly reason: RelationRefusalReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  // Recognized by its brand: a checker from another copy of protoauthz refuses as well.
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof asks about, a subclass included
    return brandedInstanceOf(this, RelationRefusal, "RelationRefusal", value);
  }
}

/**
 * The relationship engine behind `relations` in rules (SpiceDB in
 * `protoauthz/spicedb`). The guard owns ordering, timeouts, stream pinning and
 * audit; a checker owns subject mapping, consistency and round trips.
 */
export interface RelationChecker {
  /**
   * Called once at guard creation with every relation the tables use.
   * Returns what is wrong (unknown resource type or permission, a principal
   * kind that cannot hold the permission), as `{ where, problem, fix }` or as
   * lines of text; the guard refuses to start on any.
   */
  validate?(uses: readonly RelationUse[]): readonly (string | ConfigProblem)[];
  /**
   * Answers every query of one call in a single round trip, in order: true
   * when the principal holds the permission. Rejects when the engine fails;
   * the guard then fails the call Unavailable, never allows it. Throws or
   * rejects a RelationRefusal when the call can never be answered (the guard
   * then denies it PermissionDenied). Answer
   * without a promise when no round trip is needed (every answer cached):
   * the guard then decides synchronously, with no deadline to keep. The guard
   * makes `signal` when it is first read (it costs microseconds): read it
   * only on the way to the engine, not for an answer from a cache.
   */
  check(
    principal: Principal,
    queries: readonly RelationQuery[],
    options: { readonly procedure: string; readonly signal: AbortSignal },
  ): readonly boolean[] | Promise<readonly boolean[]>;
}
