import { isPendingRelations } from "../checked-rule.js";
import { allow, type Decision, deny } from "../decision.js";
import type { Principal } from "../principal.js";
import type { ServiceAuthz } from "../rule.js";
import { compileTables, type TableEntry } from "../tables.js";
import type { MethodOf } from "./requirements.js";

/** What canCall cannot decide offline: a relation (only the engine knows), or a rule that reads the request when none was given. */
export interface Unknown {
  readonly allowed: "unknown";
  readonly reason: "relations" | "request_needed";
}

export type CanCallAnswer = Decision | Unknown;

const compiled = new WeakMap<ServiceAuthz, ReadonlyMap<string, TableEntry>>();

/**
 * Whether `principal` (undefined: anonymous) may call `method`, decided
 * offline by the guard's own decision code: for showing or hiding a button.
 * A convenience, never a security boundary: the server's guard decides. A
 * rule that reads the request (bindings, conditions) needs `request`; one
 * that depends on relations answers "unknown", as there is no engine here.
 * `allowed` is true, false or "unknown"; `reason` says why, as audit events do.
 */
export function canCall<T extends ServiceAuthz>(
  principal: Principal | undefined,
  table: T,
  method: MethodOf<T>,
  request?: unknown,
): CanCallAnswer {
  const entry = entryOf(table, method);
  const { rule } = entry.checked;
  // Migration mode: the guard lets every call through.
  if (rule.access === "audit") return allow("audited");
  const caller = entry.checked.caller(principal);
  if (caller !== "per_message") return caller;
  if (principal === undefined) return deny("no_credentials");
  if (request === undefined) return { allowed: "unknown", reason: "request_needed" };
  const result = entry.checked.matches(principal, entry.checked.bound(request), request);
  return isPendingRelations(result) ? { allowed: "unknown", reason: "relations" } : result;
}

function entryOf(table: ServiceAuthz, method: string): TableEntry {
  let entries = compiled.get(table);
  // The guard's own compilation: a table the guard would refuse is refused here too.
  if (entries === undefined) compiled.set(table, (entries = compileTables([table])));
  const descriptor = table.service.methods.find((m) => m.localName === method);
  const entry = descriptor === undefined ? undefined : entries.get(`/${descriptor.parent.typeName}/${descriptor.name}`);
  if (entry === undefined) {
    throw new TypeError(
      `protoauthz/client: ${table.service.typeName} has no method "${method}" (its methods: ${Object.keys(table.rules).join(", ")})`,
    );
  }
  return entry;
}
