import { recordOf } from "./call-record.js";
import type { DenyReason } from "./decision.js";
import type { Principal } from "./principal.js";
import { procedurePath } from "./procedure-path.js";
import type { ServiceAuthz } from "./rule.js";

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

/**
 * What a handler holds for its call: Connect's HandlerContext (`ctx`) or a
 * grpc-js call. The adapter that admitted the call knows how to read it.
 */
export type CallHandle = object;

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

/** Who is calling, whether or not the rule admitted them, as callerOf reads it. */
export interface Caller {
  /** The authenticated principal; undefined when none was presented or the credentials were rejected. */
  readonly principal: Principal | undefined;
  /** True when the rule admitted the call; false when dry run or an `audit` rule let a denial through. */
  readonly admitted: boolean;
  /** Why the rule would have refused the call, when `admitted` is false. */
  readonly wouldDeny: DenyReason | undefined;
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
  const expected = desc === undefined ? `${table.service.typeName}.${method}` : procedurePath(desc);
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
export function callerOf(call: CallHandle): Caller {
  const record = recordOf(call, undefined);
  const wouldDeny = record.notEnforced();
  return { principal: record.principal, admitted: wouldDeny === undefined, wouldDeny };
}
