import type { Rule, ServiceAuthz } from "../rule.js";
import { type AlternativeRequirements, type RuleRequirements, ruleRequirements } from "../rule-requirements.js";

export type { AlternativeRequirements };

/**
 * What a client can know of one RPC's rule, for choosing a credential and
 * for UI gating. Never a security boundary: the server's guard decides.
 */
export interface RpcRequirements extends RuleRequirements {
  /** "/pkg.Service/Method". */
  readonly procedure: string;
  readonly access: Rule["access"];
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
  return Object.freeze({ procedure, access: rule.access, ...ruleRequirements(rule) });
}
