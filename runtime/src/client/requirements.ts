import type { Requirements, Rule, ServiceAuthz } from "../rule.js";

/** One way of being admitted: what one `authenticated` block (or one `any_of` alternative) requires. */
export interface AlternativeRequirements {
  /** Principal kinds admitted; empty: any kind. */
  readonly kinds: readonly string[];
  /** All required. */
  readonly scopes: readonly string[];
  /** At least one required when any are listed. */
  readonly roles: readonly string[];
  /** Request fields that must equal an attribute of the caller. */
  readonly bindings: readonly { readonly field: string; readonly attribute: string }[];
  /** Permissions the caller must hold in the relationship engine, on `resourceType:<idField>`. */
  readonly relations: readonly { readonly resourceType: string; readonly idField: string; readonly permission: string }[];
  /** CEL expressions over `request` and `principal` that must all be true. */
  readonly conditions: readonly string[];
}

/**
 * What a client can know of one RPC's rule, for choosing a credential and
 * for UI gating. Never a security boundary: the server's guard decides.
 */
export interface RpcRequirements {
  /** "/pkg.Service/Method". */
  readonly procedure: string;
  readonly access: Rule["access"];
  /** The rule's reason (public, deny and audit rules). */
  readonly reason?: string;
  /** The ways to be admitted: one for `authenticated`, one per alternative of `any_of`, none otherwise. */
  readonly alternatives: readonly AlternativeRequirements[];
  /** Whether a credential is needed: false for `public`, and for `audit` (migration mode: anyone may call). */
  readonly credentialNeeded: boolean;
  /** Every kind some alternative admits, in rule order; empty when any kind will do (or none is needed). */
  readonly kinds: readonly string[];
}

/** The method names of a table, as its rules are keyed (the method's local name, e.g. "getSandbox"). */
export type MethodOf<T extends ServiceAuthz> = keyof T["rules"] & string;

const cache = new WeakMap<object, Map<string, RpcRequirements>>();

/**
 * The requirements of `method` (its local name, as the generated table keys
 * it) from a generated table: `requirementsOf(SandboxServiceAuthz, "deleteSandbox")`.
 * Throws a TypeError naming the table's methods when it has no such method.
 */
export function requirementsOf<T extends ServiceAuthz>(table: T, method: MethodOf<T>): RpcRequirements {
  let perTable = cache.get(table);
  if (perTable === undefined) cache.set(table, (perTable = new Map()));
  let found = perTable.get(method);
  if (found === undefined) perTable.set(method, (found = readRequirements(table, method)));
  return found;
}

function readRequirements(table: ServiceAuthz, method: string): RpcRequirements {
  const descriptor = table?.service?.methods?.find((m) => m.localName === method);
  const rules = table?.rules as Record<string, Rule<unknown> | undefined> | undefined;
  const rule = rules !== undefined && Object.hasOwn(rules, method) ? rules[method] : undefined;
  if (descriptor === undefined || rule === undefined) {
    const names = Object.keys(rules ?? {}).join(", ");
    throw new TypeError(`protoauthz/client: ${table?.service?.typeName ?? "the table"} has no method "${method}" (its methods: ${names})`);
  }
  const procedure = `/${descriptor.parent.typeName}/${descriptor.name}`;
  const blocks = rule.access === "authenticated" ? [rule] : rule.access === "any_of" ? rule.alternatives : [];
  const alternatives = blocks.map(alternativeOf);
  const anyKind = alternatives.some((a) => a.kinds.length === 0);
  const kinds = anyKind ? [] : [...new Set(alternatives.flatMap((a) => a.kinds))];
  const credentialNeeded = rule.access === "authenticated" || rule.access === "any_of";
  const reason = "reason" in rule ? rule.reason : undefined;
  return Object.freeze({
    procedure,
    access: rule.access,
    ...(reason === undefined ? {} : { reason }),
    alternatives: Object.freeze(alternatives),
    credentialNeeded,
    kinds: Object.freeze(kinds),
  });
}

function alternativeOf(block: Requirements<unknown>): AlternativeRequirements {
  const conditions = (block as { conditions?: readonly string[] }).conditions;
  return Object.freeze({
    kinds: Object.freeze([...(block.principals ?? [])]),
    scopes: Object.freeze([...(block.scopes ?? [])]),
    roles: Object.freeze([...(block.roles ?? [])]),
    bindings: Object.freeze((block.bindings ?? []).map(({ field, attribute }) => Object.freeze({ field, attribute }))),
    relations: Object.freeze(
      (block.relations ?? []).map(({ resourceType, idField, permission }) => Object.freeze({ resourceType, idField, permission })),
    ),
    conditions: Object.freeze([...(conditions ?? [])]),
  });
}
