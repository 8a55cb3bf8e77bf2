import type { Vocabulary } from "protoauthz";
import { collect, type Problem } from "../collect.js";
import type { Undeclared } from "../options.js";
import { type SurfaceRow, surfaceRows } from "../report.js";
import { diffSurfaces, type SurfaceChange } from "./diff.js";
import { loadInput } from "./image.js";

/** Everything `check` found in one input. */
export interface CheckResult {
  readonly problems: readonly Problem[];
  readonly surface: readonly SurfaceRow[];
}

/** The same validation as generation, over a whole image or proto directory. */
export function checkInput(input: string, vocabulary: Vocabulary, undeclared: Undeclared = "error"): CheckResult {
  const collected = collect(loadInput(input), vocabulary, undeclared);
  return { problems: collected.problems, surface: surfaceRows(collected.services) };
}

/** A change, and whether a reviewer acknowledged it (loosenings only). */
export type ReviewedChange = SurfaceChange & { readonly acknowledged: boolean };

/**
 * Changes against a previous version. `acknowledged` names RPCs whose
 * loosening was reviewed, as "/pkg.Service/Method" or "pkg.Service.Method".
 */
export function compareTo(
  previous: string,
  current: readonly SurfaceRow[],
  vocabulary: Vocabulary,
  acknowledged: readonly string[],
  undeclared: Undeclared = "error",
): ReviewedChange[] {
  // An RPC the previous version left undeclared was denied then, unless the migration audited it.
  const before = surfaceRows(collect(loadInput(previous), vocabulary, undeclared === "audit" ? "audit" : "deny").services);
  const acks = new Set(acknowledged.map(normalizeProcedure));
  return diffSurfaces(before, current).map((c) => ({ ...c, acknowledged: c.loosens && acks.has(c.procedure) }));
}

/** "pkg.Service.Method" or "pkg.Service/Method" → "/pkg.Service/Method". */
export function normalizeProcedure(name: string): string {
  if (name.startsWith("/")) return name;
  if (name.includes("/")) return `/${name}`;
  const dot = name.lastIndexOf(".");
  return `/${name.slice(0, dot)}/${name.slice(dot + 1)}`;
}
