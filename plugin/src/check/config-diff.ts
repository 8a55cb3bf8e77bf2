import type { AuthzOptions } from "../options.js";
import type { GenerationConfig } from "./buf-gen.js";
import type { LocatedChange } from "./run.js";

/**
 * The name a configuration change is reported and acknowledged under
 * (`- rpc: buf.gen.yaml.undeclared` in the acknowledgements file).
 */
export const configProcedure = (key: string) => `/buf.gen.yaml/${key}`;

const vocabularies = ["principals", "roles", "scopes", "resources", "permissions"] as const;

/**
 * Changes of protoc-gen-authz's own options between the base's buf.gen.yaml
 * and the current one. Loosening: undeclared= moving to audit (an RPC without
 * a rule is then callable), a closed vocabulary dropped (open again) or
 * grown (a name it refused is accepted). A configuration absent on a side is
 * the plugin's defaults there. Type filters are judged per RPC, not here.
 */
export function configChanges(before: GenerationConfig | undefined, after: GenerationConfig | undefined): LocatedChange[] {
  if (after === undefined) return [];
  const was: Pick<AuthzOptions, "undeclared" | (typeof vocabularies)[number]> = before?.options ?? {
    undeclared: "error",
    principals: undefined,
    roles: undefined,
    scopes: undefined,
    resources: undefined,
    permissions: undefined,
  };
  const now = after.options;
  const changes: LocatedChange[] = [];
  const add = (key: string, loosens: boolean, what: string) =>
    changes.push({ procedure: configProcedure(key), loosens, what, location: { file: after.file, line: after.lineOf(key), column: 5 } });
  if (was.undeclared !== now.undeclared) {
    const audits = now.undeclared === "audit";
    add(
      "undeclared",
      audits,
      `undeclared=${was.undeclared} → undeclared=${now.undeclared}${audits ? ": an RPC without a rule is now generated as audit (anyone may call)" : ""}`,
    );
  }
  for (const key of vocabularies) {
    const old = was[key];
    const current = now[key];
    if (old !== undefined && current === undefined)
      add(key, true, `${key} vocabulary dropped (was ${old.join("|")}): any name is accepted`);
    else if (old === undefined && current !== undefined) add(key, false, `${key} vocabulary closed to ${current.join("|")}`);
    else if (old !== undefined && current !== undefined) {
      const added = current.filter((n) => !old.includes(n));
      const removed = old.filter((n) => !current.includes(n));
      if (added.length > 0) add(key, true, `${key} vocabulary grows: ${added.join("|")} accepted`);
      if (removed.length > 0) add(`${key}`, false, `${key} vocabulary shrinks: ${removed.join("|")} no longer accepted`);
    }
  }
  return changes;
}
