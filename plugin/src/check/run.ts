import type { DescFile } from "@bufbuild/protobuf";
import type { Vocabulary } from "protoauthz/tool";
import { collect } from "../collect.js";
import type { Location } from "../location.js";
import type { Undeclared } from "../options.js";
import type { Problem } from "../problem.js";
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
  /** Where the current rule is written; absent for a removed RPC. */
  readonly location?: Location;
};

export interface Comparison {
  readonly changes: readonly ReviewedChange[];
  /** Acknowledgements that match no loosening: left over, and able to hide a future one. */
  readonly stale: readonly Acknowledgement[];
}

/** A change found in the configuration rather than in the protos, located at its buf.gen.yaml line. */
export type LocatedChange = SurfaceChange & { readonly location: Location };

/**
 * Changes from a previous version's surface to the current one, with the
 * reviewed acknowledgements applied. Each surface is what its own side's
 * buf.gen.yaml generates. `leftOut` names the RPCs the current protos still
 * declare but the current configuration keeps out of generation (type
 * filters), with the line that does: such an RPC is not removed, its table is,
 * so that loosens. `configured` adds changes of the configuration itself.
 */
export function compareSurfaces(
  before: readonly SurfaceRow[],
  current: readonly SurfaceRow[],
  acknowledgements: readonly Acknowledgement[],
  leftOut: ReadonlyMap<string, LocatedChange> = new Map(),
  configured: readonly LocatedChange[] = [],
): Comparison {
  const acknowledged = new Set(acknowledgements.map((a) => a.procedure));
  const where = new Map(current.map((r) => [r.procedure, r.location]));
  const found: SurfaceChange[] = diffSurfaces(before, current).map((c) => (c.what === "RPC removed" ? (leftOut.get(c.procedure) ?? c) : c));
  const changes = [...found, ...configured].map((c) => {
    const location = "location" in c ? (c as LocatedChange).location : where.get(c.procedure);
    return { ...c, acknowledged: c.loosens && acknowledged.has(c.procedure), ...(location !== undefined && { location }) };
  });
  const loosened = new Set(changes.filter((c) => c.loosens).map((c) => c.procedure));
  return { changes, stale: acknowledgements.filter((a) => !loosened.has(a.procedure)) };
}
