import type { DescFile } from "@bufbuild/protobuf";
import type { Vocabulary } from "protoauthz/tool";
import { collect, type Problem } from "../collect.js";
import type { Undeclared } from "../options.js";
import { type SurfaceRow, surfaceRows } from "../report.js";
import type { Acknowledgement } from "./acknowledgements.js";
import { diffSurfaces, type SurfaceChange } from "./diff.js";

/** Everything `check` found in one input. */
export interface CheckResult {
  readonly problems: readonly Problem[];
  readonly surface: readonly SurfaceRow[];
}

/** The same validation as generation (same vocabulary, same undeclared=), over a whole image. */
export function checkFiles(files: readonly DescFile[], vocabulary: Vocabulary, undeclared: Undeclared): CheckResult {
  const collected = collect(files, vocabulary, undeclared);
  return { problems: collected.problems, surface: surfaceRows(collected.services) };
}

/** A change, where the RPC's rule now is, and the acknowledgement that covers it (loosenings only). */
export type ReviewedChange = SurfaceChange & {
  readonly acknowledged: boolean;
  /** "file.proto:LINE:COL" of the current rule; absent for a removed RPC. */
  readonly location?: string;
};

export interface Comparison {
  readonly changes: readonly ReviewedChange[];
  /** Acknowledgements that match no loosening: left over, and able to hide a future one. */
  readonly stale: readonly Acknowledgement[];
}

/** Changes from a previous version's files to the current surface, with the reviewed acknowledgements applied. */
export function compareSurfaces(
  previous: readonly DescFile[],
  current: readonly SurfaceRow[],
  vocabulary: Vocabulary,
  acknowledgements: readonly Acknowledgement[],
  undeclared: Undeclared = "error",
): Comparison {
  // An RPC the previous version left undeclared was denied then, unless the migration audited it.
  const before = surfaceRows(collect(previous, vocabulary, undeclared === "audit" ? "audit" : "deny").services);
  const acknowledged = new Set(acknowledgements.map((a) => a.procedure));
  const where = new Map(current.map((r) => [r.procedure, r.location]));
  const changes = diffSurfaces(before, current).map((c) => {
    const location = where.get(c.procedure);
    return { ...c, acknowledged: c.loosens && acknowledged.has(c.procedure), ...(location !== undefined && { location }) };
  });
  const loosened = new Set(changes.filter((c) => c.loosens).map((c) => c.procedure));
  return { changes, stale: acknowledgements.filter((a) => !loosened.has(a.procedure)) };
}
