import type { Principal } from "./principal.js";
import type { ServiceAuthz } from "./rule.js";
import { procedureOf } from "./tables.js";

/**
 * The principal a handler of a method sees, typed from that method's rule:
 * narrowed to the admitted kinds (for any_of, those of any alternative),
 * possibly undefined on a public method.
 */
export type PrincipalFor<R, P extends Principal = Principal> = R extends { readonly access: "public" }
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

interface Admitted {
  readonly procedure: string;
  readonly principal: Principal | undefined;
}

/** Keyed by a per-call object the framework hands to the handler as well. */
const admitted = new WeakMap<object, Admitted>();

/** Records the principal of an admitted call (adapters only). */
export function admit(carrier: object, procedure: string, principal: Principal | undefined): void {
  admitted.set(carrier, { procedure, principal });
}

/**
 * A per-call handle: Connect's HandlerContext (`ctx`) or a grpc-js call
 * (anything with the `metadata` the guard saw).
 */
export type CallHandle = { readonly values: object } | { readonly metadata: object };

/**
 * The principal of the current call, typed from the rule of `method` in
 * `table`. Throws when no guard admitted this call or when the call is for
 * another method, so a handler cannot read an identity the guard did not check.
 */
export function principalOf<
  P extends Principal = Principal,
  T extends ServiceAuthz = ServiceAuthz,
  K extends keyof T["rules"] & string = keyof T["rules"] & string,
>(call: CallHandle, table: T, method: K): PrincipalFor<T["rules"][K], P> {
  const carrier = "values" in call ? call.values : call.metadata;
  const record = admitted.get(carrier);
  if (record === undefined) {
    throw new Error("protoauthz: no guard admitted this call; install the guard's interceptor on the server");
  }
  const desc = table.service.methods.find((m) => m.localName === method);
  const expected = desc === undefined ? `${table.service.typeName}.${method}` : procedureOf(desc);
  if (record.procedure !== expected) {
    throw new Error(`protoauthz: principalOf(${expected}) called while handling ${record.procedure}`);
  }
  return record.principal as PrincipalFor<T["rules"][K], P>;
}
