import type { Requirements, Rule } from "protoauthz/tool";
import { formatLocation, type Location } from "./location.js";
import type { ServiceModel } from "./model.js";
import type { Undeclared } from "./options.js";
import { markdownField } from "./render.js";

/** One alternative of an any_of rule, flat and sorted like a row. */
export interface SurfaceAlternative {
  readonly principals: readonly string[];
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly bindings: readonly string[];
  /** "resource_type#permission(id_field)", all required. */
  readonly relations: readonly string[];
  /** CEL expressions, all required. */
  readonly conditions: readonly string[];
}

/** One RPC of the auth surface, flat and stable, for review and diffs. */
export interface SurfaceRow extends SurfaceAlternative {
  readonly procedure: string;
  readonly access: Rule["access"];
  /** For any_of: each alternative, in declaration order; empty otherwise. */
  readonly alternatives: readonly SurfaceAlternative[];
  readonly reason: string;
  readonly source: string;
  /** Where the rule is written; printed only by the report's and check's renderers. */
  readonly location: Location;
  /** The RPC's service, "pkg.Service": the part of the procedure static checks match on. */
  readonly service: string;
}

const sorted = (items: readonly string[] | undefined) => [...(items ?? [])].sort();

function flatten(requirements: Requirements<unknown> | undefined): SurfaceAlternative {
  return {
    principals: sorted(requirements?.principals),
    scopes: sorted(requirements?.scopes),
    roles: sorted(requirements?.roles),
    bindings: sorted(requirements?.bindings?.map((b) => `${b.field}=${b.attribute}`)),
    relations: sorted(requirements?.relations?.map((r) => `${r.resourceType}#${r.permission}(${r.idField})`)),
    conditions: sorted(requirements?.conditions),
  };
}

/** Rows sorted by procedure, so reports diff line by line. */
export function surfaceRows(services: readonly ServiceModel[]): SurfaceRow[] {
  const rows: SurfaceRow[] = [];
  for (const { service, methods } of services) {
    for (const { method, rule, source, location } of methods) {
      rows.push({
        procedure: `/${service.typeName}/${method.name}`,
        access: rule.access,
        ...flatten(rule.access === "authenticated" ? rule : undefined),
        alternatives: rule.access === "any_of" ? rule.alternatives.map(flatten) : [],
        reason: rule.access === "public" || rule.access === "deny" || rule.access === "audit" ? rule.reason : "",
        source,
        location,
        service: service.typeName,
      });
    }
  }
  return rows.sort((a, b) => (a.procedure < b.procedure ? -1 : a.procedure > b.procedure ? 1 : 0));
}

/** The rows as `report --format json` prints them: the location as "file:line:col", no service of its own. */
export function surfaceJson(rows: readonly SurfaceRow[]): object[] {
  return rows.map(({ service: _, ...row }) => ({ ...row, location: formatLocation(row.location) }));
}

const list = (items: readonly string[], empty: string) => (items.length === 0 ? empty : items.map(markdownField).join(", "));

function requirementCells(r: SurfaceAlternative, withConditions: boolean): string {
  const cells = [list(r.principals, "any"), list(r.scopes, ""), list(r.roles, ""), list(r.bindings, ""), list(r.relations, "")];
  if (withConditions) cells.push(list(r.conditions, ""));
  return cells.join(" | ");
}

/**
 * The surface as a markdown review document. `undeclared` is the mode the
 * RPCs without a rule were generated under, for the words about them (by
 * default: audit when they are audited, else deny).
 */
export function surfaceToMarkdown(rows: readonly SurfaceRow[], undeclared?: Undeclared): string {
  const count = (access: Rule["access"]) => rows.filter((r) => r.access === access).length;
  const anyOf = count("any_of") === 0 ? "" : `, ${count("any_of")} any_of`;
  const audit = count("audit") === 0 ? "" : `, ${count("audit")} audit (undeclared, NOT protected)`;
  const lines = [
    "# Auth surface",
    "",
    `${rows.length} RPCs: ${count("public")} public, ${count("authenticated")} authenticated${anyOf}, ${count("deny")} deny${audit}.`,
    "",
    ...undeclaredSummary(rows, undeclared ?? (rows.some((r) => r.access === "audit") ? "audit" : "deny")),
  ];
  // The conditions column appears when a rule has one, so reports of APIs without conditions read as before.
  const withConditions = rows.some((r) => r.conditions.length > 0 || r.alternatives.some((a) => a.conditions.length > 0));
  const conditionsHeader = withConditions ? " conditions (all) |" : "";
  lines.push(
    `| procedure | access | principal kinds | scopes (all) | roles (any) | bindings | relations (all) |${conditionsHeader} reason | rule from |`,
    `|---|---|---|---|---|---|---|${withConditions ? "---|" : ""}---|---|`,
  );
  for (const r of rows) {
    const access =
      r.access === "public" ? "**public**" : r.access === "any_of" ? "any of:" : r.access === "audit" ? "**audit (undeclared)**" : r.access;
    const requirements =
      r.access === "authenticated" ? requirementCells(r, withConditions) : withConditions ? " |  |  |  |  | " : " |  |  |  | ";
    lines.push(
      `| ${markdownField(r.procedure)} | ${access} | ${requirements} | ${markdownField(r.reason)} | ${r.source.replace("_", " ")} |`,
    );
    for (const [i, alternative] of r.alternatives.entries()) {
      lines.push(`| ↳ | ${i === 0 ? "" : "or "}alternative ${i + 1} | ${requirementCells(alternative, withConditions)} |  |  |`);
    }
  }
  return lines.join("\n");
}

/** What the RPCs without a rule are, in each mode: the migration's to-do list. */
const undeclaredMeans: Record<Undeclared, string> = {
  deny: "and are denied until they do (undeclared=deny)",
  audit: "and are NOT protected until they do: anyone may call them, and each call is only audited (undeclared=audit)",
  error: "and fail generation until they do (undeclared=error); listed here as deny",
};

/** The RPCs that declare no rule, out of all, and what that means in this mode. */
function undeclaredSummary(rows: readonly SurfaceRow[], undeclared: Undeclared): string[] {
  const listed = rows.filter((r) => r.source === "undeclared");
  if (listed.length === 0) return [];
  return [
    `**${listed.length} of ${rows.length} RPCs declare no rule** ${undeclaredMeans[undeclared]}:`,
    "",
    ...listed.map((r) => `- ${markdownField(r.procedure)} (${markdownField(formatLocation(r.location))})`),
    "",
  ];
}
