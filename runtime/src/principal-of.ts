import type { DenyReason } from "./decision.js";
import type { CallAuthorization } from "./guard.js";
import type { Principal } from "./principal.js";
import type { ServiceAuthz } from "./rule.js";
import { procedureOf } from "./tables.js";

/**
 * The principal a handler of a method sees, typed from that method's rule:
 * narrowed to the admitted kinds (for any_of, those of any alternative),
 * possibly undefined on a public method and on an `audit` rule (migration
 * mode, where anonymous callers and rejected credentials are let through).
 */
export type PrincipalFor<R, P extends Principal = Principal> = R extends { readonly access: "public" | "audit" }
  ? P | undefined
  : R extends { readonly access: "authenticated"; readonly principals: readonly [] }
    ? P
    : R extends { readonly access: "authenticated"; readonly principals: readonly (infer K extends string)[] }
      ? string extends K
        ? P
        : P & { readonly kind: K }
      : R extends { readonly access: "authenticated" }
        ? P
        : R extends { readonly access: "any_of"; readonly alternatives: readonly (infer A)[] }
          ? // The union of the alternatives' principals: whichever admitted the call.
            PrincipalFor<A & { readonly access: "authenticated" }, P>
          : never;

/** What the guard recorded of a call it let through: its verdict. */
type Admitted = Pick<CallAuthorization, "procedure" | "principal" | "notEnforced">;

/** A base whose constructor returns the object it is given, so a subclass's private fields land on that object. */
class OnCarrier {
  constructor(carrier: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the point of the class
    return carrier as OnCarrier;
  }
}

/**
 * The record of a call, kept in a private field of a per-call object the
 * framework hands to the handler as well: unforgeable like a WeakMap entry,
 * without the ephemeron a WeakMap adds to the garbage collector per call.
 */
class Stamp extends OnCarrier {
  #record: Admitted;
  private constructor(carrier: object, record: Admitted) {
    super(carrier);
    this.#record = record;
  }
  static write(carrier: object, record: Admitted): void {
    // A second guard on the same server admits the same call again: the later record wins.
    if (#record in carrier) (carrier as Stamp).#record = record;
    else new Stamp(carrier, record);
  }
  static read(carrier: object): Admitted | undefined {
    return #record in carrier ? (carrier as Stamp).#record : undefined;
  }
}

/** Records the verdict of a call the guard let through (adapters only). */
export function admit(carrier: object, authorization: Admitted): void {
  Stamp.write(carrier, authorization);
}

/**
 * A per-call handle: Connect's HandlerContext (`ctx`) or a grpc-js call
 * (anything with the `metadata` the guard saw).
 */
export type CallHandle = { readonly values: object } | { readonly metadata: object };

/** Thrown by principalOf when the rule did not admit the caller and only dry run let the call through. */
export class NotAdmittedError extends Error {
  override name = "NotAdmittedError";
  constructor(
    readonly procedure: string,
    readonly reason: DenyReason,
    options?: { cause?: unknown },
  ) {
    super(
      `protoauthz: ${procedure}: the rule denies this caller (${reason}) and only dangerouslyDryRun let the call through, so principalOf has no principal of the type the rule promises; read callerOf(ctx) in handlers that must keep working in dry run`,
      options,
    );
  }
}

/** Who is calling, whether or not the rule admitted them; see callerOf. */
export interface CallerOf {
  /** The authenticated principal; undefined when none was presented or the credentials were rejected. */
  readonly principal: Principal | undefined;
  /** True when the rule admitted the call; false when dry run or an `audit` rule let a denial through. */
  readonly admitted: boolean;
  /** Why the rule would have refused the call, when `admitted` is false. */
  readonly wouldDeny: DenyReason | undefined;
}

function recordOf(call: CallHandle, procedure: string | undefined): Admitted {
  const carrier = "values" in call ? call.values : call.metadata;
  const record = Stamp.read(carrier);
  if (record === undefined) {
    throw new Error("protoauthz: no guard admitted this call; install the guard's interceptor on the server");
  }
  if (procedure !== undefined && record.procedure !== procedure) {
    throw new Error(`protoauthz: principalOf(${procedure}) called while handling ${record.procedure}`);
  }
  return record;
}

/**
 * The principal of the current call, typed from the rule of `method` in
 * `table`. Throws when no guard admitted this call or when the call is for
 * another method, so a handler cannot read an identity the guard did not check.
 * In dry run, a call the rule would deny has no principal of that type: this
 * throws NotAdmittedError; use callerOf in handlers that run under dry run.
 */
export function principalOf<
  P extends Principal = Principal,
  T extends ServiceAuthz = ServiceAuthz,
  K extends keyof T["rules"] & string = keyof T["rules"] & string,
>(call: CallHandle, table: T, method: K): PrincipalFor<T["rules"][K], P> {
  const desc = table.service.methods.find((m) => m.localName === method);
  const expected = desc === undefined ? `${table.service.typeName}.${method}` : procedureOf(desc);
  const record = recordOf(call, expected);
  const wouldDeny = record.notEnforced();
  // An audit rule's type already says "maybe nobody"; any other rule promised a principal it did not check.
  if (wouldDeny !== undefined && (table.rules as Record<string, { access?: string }>)[method]?.access !== "audit") {
    throw new NotAdmittedError(expected, wouldDeny);
  }
  return record.principal as PrincipalFor<T["rules"][K], P>;
}

/**
 * Who is calling, typed as `Principal | undefined`, with whether the rule
 * admitted them. Never throws for a call a guard let through: the reader for
 * handlers that must keep working during a dry-run rollout or in migration
 * mode (undeclared=audit).
 */
export function callerOf(call: CallHandle): CallerOf {
  const record = recordOf(call, undefined);
  const wouldDeny = record.notEnforced();
  return { principal: record.principal, admitted: wouldDeny === undefined, wouldDeny };
}
