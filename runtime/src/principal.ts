/**
 * Who is calling, as an authenticator established it.
 *
 * `kind` separates callers that must never stand in for each other (a user, a
 * service, a sandbox workload); rules name the kinds they admit.
 */
export interface Principal<Kind extends string = string, Role extends string = string, Scope extends string = string> {
  readonly kind: Kind;
  /** Stable identifier within the kind, e.g. a user id or a SPIFFE id. */
  readonly subject: string;
  readonly scopes: readonly Scope[];
  readonly roles: readonly Role[];
  /** String attributes that bindings compare request fields against. */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * What the authenticator could not map (a configured claim missing or of the
   * wrong type, a role outside the vocabulary). The guard copies these into the
   * audit event's `detail`; absent when there is nothing to report.
   */
  readonly warnings?: readonly string[];
}
