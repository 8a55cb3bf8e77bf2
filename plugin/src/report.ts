import type { ServiceModel } from "./collect.js";

/** One RPC of the auth surface, flat and stable, for review and diffs. */
export interface SurfaceRow {
  readonly procedure: string;
  readonly access: "public" | "authenticated" | "deny";
  readonly principals: readonly string[];
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly bindings: readonly string[];
  readonly reason: string;
  readonly source: string;
  readonly location: string;
}

/** Rows sorted by procedure, so reports diff line by line. */
export function surfaceRows(services: readonly ServiceModel[]): SurfaceRow[] {
  const rows: SurfaceRow[] = [];
  for (const { service, methods } of services) {
    for (const { method, rule, source, location } of methods) {
      const authenticated = rule.access === "authenticated" ? rule : undefined;
      rows.push({
        procedure: `/${service.typeName}/${method.name}`,
        access: rule.access,
        principals: [...(authenticated?.principals ?? [])].sort(),
        scopes: [...(authenticated?.scopes ?? [])].sort(),
        roles: [...(authenticated?.roles ?? [])].sort(),
        bindings: (authenticated?.bindings ?? []).map((b) => `${b.field}=${b.attribute}`).sort(),
        reason: rule.access === "authenticated" ? "" : rule.reason,
        source,
        location,
      });
    }
  }
  return rows.sort((a, b) => (a.procedure < b.procedure ? -1 : a.procedure > b.procedure ? 1 : 0));
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const list = (items: readonly string[], empty: string) => (items.length === 0 ? empty : items.map((i) => `\`${i}\``).join(", "));

export function surfaceToMarkdown(rows: readonly SurfaceRow[]): string {
  const lines = [
    "# Auth surface",
    "",
    `${rows.length} RPCs: ${rows.filter((r) => r.access === "public").length} public, ${rows.filter((r) => r.access === "authenticated").length} authenticated, ${rows.filter((r) => r.access === "deny").length} deny.`,
    "",
    ...undeclaredSummary(rows),
    "| procedure | access | principal kinds | scopes (all) | roles (any) | bindings | reason | rule from |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const authenticated = r.access === "authenticated";
    lines.push(
      `| \`${r.procedure}\` | ${r.access === "public" ? "**public**" : r.access} | ${authenticated ? list(r.principals, "any") : ""} | ${authenticated ? list(r.scopes, "") : ""} | ${authenticated ? list(r.roles, "") : ""} | ${authenticated ? list(r.bindings, "") : ""} | ${cell(r.reason)} | ${r.source.replace("_", " ")} |`,
    );
  }
  return lines.join("\n");
}

/** The RPCs that declare no rule (denied under undeclared=deny), out of all: the migration's to-do list. */
function undeclaredSummary(rows: readonly SurfaceRow[]): string[] {
  const undeclared = rows.filter((r) => r.source === "undeclared");
  if (undeclared.length === 0) return [];
  return [
    `**${undeclared.length} of ${rows.length} RPCs declare no rule** and are denied until they do (undeclared=deny):`,
    "",
    ...undeclared.map((r) => `- \`${r.procedure}\` (${cell(r.location)})`),
    "",
  ];
}
