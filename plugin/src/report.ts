import type { Requirements, Rule } from "protoauthz";
import type { ServiceModel } from "./collect.js";
import { printable } from "./escape.js";

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
  readonly location: string;
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
      });
    }
  }
  return rows.sort((a, b) => (a.procedure < b.procedure ? -1 : a.procedure > b.procedure ? 1 : 0));
}

/** Input shown as text: printable, on one line, and unable to open or close a table cell. */
const cell = (text: string) => printable(text).replaceAll("\\u000a", " ").replaceAll("|", "\\|");
/** A code span no backtick in the text can close. */
const code = (text: string) => {
  const fence = "`".repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${cell(text)}${pad}${fence}`;
};
const list = (items: readonly string[], empty: string) => (items.length === 0 ? empty : items.map(code).join(", "));

function requirementCells(r: SurfaceAlternative, withConditions: boolean): string {
  const cells = [list(r.principals, "any"), list(r.scopes, ""), list(r.roles, ""), list(r.bindings, ""), list(r.relations, "")];
  if (withConditions) cells.push(list(r.conditions, ""));
  return cells.join(" | ");
}

export function surfaceToMarkdown(rows: readonly SurfaceRow[]): string {
  const count = (access: Rule["access"]) => rows.filter((r) => r.access === access).length;
  const anyOf = count("any_of") === 0 ? "" : `, ${count("any_of")} any_of`;
  const audit = count("audit") === 0 ? "" : `, ${count("audit")} audit (undeclared, NOT protected)`;
  const lines = [
    "# Auth surface",
    "",
    `${rows.length} RPCs: ${count("public")} public, ${count("authenticated")} authenticated${anyOf}, ${count("deny")} deny${audit}.`,
    "",
    ...undeclaredSummary(rows),
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
    lines.push(`| ${code(r.procedure)} | ${access} | ${requirements} | ${cell(r.reason)} | ${r.source.replace("_", " ")} |`);
    for (const [i, alternative] of r.alternatives.entries()) {
      lines.push(`| ↳ | ${i === 0 ? "" : "or "}alternative ${i + 1} | ${requirementCells(alternative, withConditions)} |  |  |`);
    }
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
    ...undeclared.map((r) => `- ${code(r.procedure)} (${cell(r.location)})`),
    "",
  ];
}
