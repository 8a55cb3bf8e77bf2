import { formatLocation, type Location } from "../location.js";
import type { Problem } from "../problem.js";
import { githubMessage, githubProperty, jsonDocument, textField } from "../render.js";
import type { Acknowledgement } from "./acknowledgements.js";
import type { ReviewedChange } from "./run.js";
import type { StaticFinding } from "./static.js";

export type Format = "text" | "json" | "github";

/** An RPC generated as `audit` (undeclared=audit): callable by anyone while the migration lasts. */
export interface AuditedRpc {
  readonly procedure: string;
  /** Where the RPC is written. */
  readonly location: Location;
}

/** Everything one `check` run found; every path is relative to the repository root. */
export interface Findings {
  readonly problems: readonly Problem[];
  readonly changes: readonly ReviewedChange[];
  readonly stale: readonly Acknowledgement[];
  readonly unguarded: readonly StaticFinding[];
  /** Not failing, but never to read as a bare "ok": every RPC that is NOT protected. */
  readonly audited: readonly AuditedRpc[];
  /** Where loosenings are acknowledged, for the fix in messages. */
  readonly acknowledgeIn: string | undefined;
}

/** Whether the findings fail the check: any problem, unacknowledged loosening or unguarded finding. */
export function failing(f: Findings): boolean {
  return f.problems.length > 0 || f.unguarded.length > 0 || f.changes.some((c) => c.loosens && !c.acknowledged);
}

const unacknowledged = (c: ReviewedChange) => c.loosens && !c.acknowledged;
const dotted = (procedure: string) => procedure.slice(1).replace("/", ".");
const howToAcknowledge = (f: Findings, c: ReviewedChange) =>
  f.acknowledgeIn === undefined
    ? `review it, then pass --allow-loosening ${dotted(c.procedure)}`
    : `review it, then add "- rpc: ${dotted(c.procedure)}" with a reason to ${f.acknowledgeIn}`;
const staleMessage = (a: Acknowledgement) =>
  `${dotted(a.procedure)} is acknowledged but does not loosen (remove the entry: left in place it would accept a future loosening unseen)`;
const auditMessage = (a: AuditedRpc) =>
  `${a.procedure}: NOT protected: declares no rule, so anyone may call it and calls are only audited (undeclared=audit; declare a rule to protect it)`;

/** A located finding in JSON: its location as "file:line:col", and as parts. */
const located = <T extends { readonly location?: Location | undefined }>(finding: T) =>
  finding.location === undefined ? finding : { ...finding, location: formatLocation(finding.location), ...finding.location };

/**
 * Every finding in the format asked for. Each string that came from input
 * (names, messages that quote it, paths) goes through the format's one
 * rendering function (render.ts); nothing here escapes by hand.
 */
export function render(f: Findings, format: Format): string {
  switch (format) {
    case "json":
      return jsonDocument({
        ok: !failing(f),
        problems: f.problems,
        loosening: f.changes.filter((c) => c.loosens).map(located),
        tightening: f.changes.filter((c) => !c.loosens).map(located),
        staleAcknowledgements: f.stale,
        unguarded: f.unguarded,
        audit: f.audited.map(located),
      });
    case "github":
      return github(f);
    default:
      return text(f);
  }
}

/** Rule problems in the text format, one line each: `file:line:col: pkg.Service.Method: what is wrong (how to fix)`. */
export function problemLines(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${textField(formatLocation(p))}: ${textField(`${p.element}: ${p.message}`)}`);
}

/** One line per finding, then a summary that names what is NOT protected even when nothing fails. */
function text(f: Findings): string {
  const line = (at: string | undefined, tag: string, message: string) =>
    `${at === undefined ? "" : `${textField(at)}: `}${tag}${textField(message)}`;
  const lines = [...problemLines(f.problems), ...f.unguarded.map((u) => line(formatLocation(u), "", u.message))];
  for (const c of f.changes) {
    const tag = c.loosens ? (c.acknowledged ? "loosens (acknowledged)" : "LOOSENS") : "tightens/changes";
    lines.push(
      line(
        c.location && formatLocation(c.location),
        `${tag}: `,
        `${c.procedure}: ${c.what}${unacknowledged(c) ? ` (${howToAcknowledge(f, c)})` : ""}`,
      ),
    );
  }
  for (const a of f.stale) lines.push(line(`${a.file}:${a.line}`, "stale acknowledgement: ", staleMessage(a)));
  for (const a of f.audited) lines.push(line(formatLocation(a.location), "audit: ", auditMessage(a)));
  const loosened = f.changes.filter(unacknowledged).length;
  const unprotected = f.audited.length === 0 ? "" : `${f.audited.length} RPC(s) NOT protected (audit, listed above)`;
  lines.push(
    failing(f)
      ? `protoauthz check: ${f.problems.length} rule problem(s), ${f.unguarded.length} unguarded finding(s), ${loosened} unacknowledged loosening(s)${unprotected === "" ? "" : `, ${unprotected}`}`
      : `protoauthz check: ok${unprotected === "" ? "" : `, but ${unprotected}`}${f.stale.length > 0 ? ` (${f.stale.length} stale acknowledgement(s))` : ""}`,
  );
  return lines.join("\n");
}

function github(f: Findings): string {
  return [
    ...f.problems.map((p) => annotation("error", "protoauthz", `${p.element}: ${p.message}`, p)),
    ...f.unguarded.map((u) => annotation("error", "protoauthz", u.message, u)),
    ...f.changes.map((c) =>
      unacknowledged(c)
        ? annotation("error", "protoauthz: access loosened", `${c.procedure}: ${c.what} (${howToAcknowledge(f, c)})`, c.location)
        : annotation(
            "notice",
            `protoauthz: access ${c.loosens ? "loosened (acknowledged)" : "changed"}`,
            `${c.procedure}: ${c.what}`,
            c.location,
          ),
    ),
    ...f.stale.map((a) => annotation("warning", "protoauthz: stale acknowledgement", staleMessage(a), a)),
    ...f.audited.map((a) => annotation("warning", "protoauthz: NOT protected (audit)", auditMessage(a), a.location)),
  ].join("\n");
}

/** One GitHub workflow command, located when the place is known. */
function annotation(level: "error" | "warning" | "notice", title: string, message: string, at: Location | undefined): string {
  const place =
    at === undefined ? "" : `file=${githubProperty(at.file)},${at.line === undefined ? "" : `line=${at.line},col=${at.column ?? 1},`}`;
  return `::${level} ${place}title=${githubProperty(title)}::${githubMessage(message)}`;
}
