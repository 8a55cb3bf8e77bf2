import type { SurfaceAlternative, SurfaceRow } from "../report.js";

/** One change of who may call an RPC between two versions of the API. */
export interface SurfaceChange {
  readonly procedure: string;
  readonly loosens: boolean;
  readonly what: string;
}

const names = (items: readonly string[]) => items.map((i) => `"${i}"`).join(", ");

/**
 * Every change between two auth surfaces. Loosening: deny → anything,
 * authenticated → public, a new public RPC, a dropped scope or binding, an
 * any-of list (kinds, roles) that grows or is dropped, a dropped relation, an
 * any_of alternative added, a removed or changed condition. Tightening is the
 * reverse. Migration mode: a rule → `audit` (undeclared) loosens; `audit` → a
 * rule is reported, never failing. A change that comes from a service default is said so.
 */
export function diffSurfaces(before: readonly SurfaceRow[], after: readonly SurfaceRow[]): SurfaceChange[] {
  const old = new Map(before.map((r) => [r.procedure, r]));
  const changes: SurfaceChange[] = [];
  for (const row of after) {
    const was = old.get(row.procedure);
    old.delete(row.procedure);
    const via = row.source === "service_default" ? " (via the service's default_rule)" : "";
    const add = (loosens: boolean, what: string) => changes.push({ procedure: row.procedure, loosens, what: `${what}${via}` });
    if (was === undefined) {
      add(row.access === "public" || row.access === "audit", `new RPC, ${row.access}`);
      continue;
    }
    // Migration mode (undeclared=audit): anyone may call. Losing a declaration loosens; gaining one is reported.
    if (row.access === "audit" && was.access !== "audit") {
      add(true, `${was.access} → audit (undeclared: no rule, anyone may call)`);
      continue;
    }
    if (was.access === "audit" && row.access !== "audit") {
      add(false, `audit (undeclared) → ${row.access}: now declared`);
      continue;
    }
    if (was.access !== row.access) {
      const rank = { deny: 0, authenticated: 1, any_of: 2, audit: 3, public: 3 } as const;
      add(rank[row.access] > rank[was.access], `${was.access} → ${row.access}`);
      if (was.access !== "authenticated" || row.access !== "authenticated") continue;
    }
    if (row.access === "any_of") alternatives(was.alternatives, row.alternatives, add);
    if (row.access !== "authenticated") continue;
    anyOf(was.principals, row.principals, "principal kinds", add);
    anyOf(was.roles, row.roles, "roles", add);
    allOf(was.scopes, row.scopes, "scopes", add);
    allOf(was.bindings, row.bindings, "bindings", add);
    allOf(was.relations, row.relations, "relations", add);
    // A changed condition is one removed (loosens) and one added (tightens): the loosening needs acknowledging.
    allOf(was.conditions ?? [], row.conditions ?? [], "conditions", add);
  }
  for (const row of old.values()) changes.push({ procedure: row.procedure, loosens: false, what: "RPC removed" });
  return changes.sort((a, b) => (a.procedure < b.procedure ? -1 : a.procedure > b.procedure ? 1 : 0));
}

/** A list any one of which admits (empty: no restriction). */
function anyOf(was: readonly string[], now: readonly string[], label: string, add: (loosens: boolean, what: string) => void) {
  if (was.length > 0 && now.length === 0) return add(true, `${label} restriction removed (was ${names(was)})`);
  if (was.length === 0 && now.length > 0) return add(false, `${label} restricted to ${names(now)}`);
  const added = now.filter((n) => !was.includes(n));
  const removed = was.filter((n) => !now.includes(n));
  if (added.length > 0) add(true, `${label} added: ${names(added)}`);
  if (removed.length > 0) add(false, `${label} removed: ${names(removed)}`);
}

/** A list all of which are required. */
function allOf(was: readonly string[], now: readonly string[], label: string, add: (loosens: boolean, what: string) => void) {
  const removed = was.filter((n) => !now.includes(n));
  const added = now.filter((n) => !was.includes(n));
  if (removed.length > 0) add(true, `${label} no longer required: ${names(removed)}`);
  if (added.length > 0) add(false, `${label} now required: ${names(added)}`);
}

/** Alternatives any one of which admits: a new one loosens, a dropped one tightens; a changed one is both. */
function alternatives(
  was: readonly SurfaceAlternative[],
  now: readonly SurfaceAlternative[],
  add: (loosens: boolean, what: string) => void,
) {
  const describe = (a: SurfaceAlternative) =>
    Object.entries(a)
      .filter(([, items]) => items.length > 0)
      .map(([key, items]) => `${key} ${names(items)}`)
      .join("; ");
  const before = was.map(describe);
  const after = now.map(describe);
  for (const a of after) if (!before.includes(a)) add(true, `alternative added: { ${a} }`);
  for (const a of before) if (!after.includes(a)) add(false, `alternative removed: { ${a} }`);
}
