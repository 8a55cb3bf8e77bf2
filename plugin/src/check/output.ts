import { formatProblem, type Problem } from "../collect.js";
import type { Acknowledgement } from "./acknowledgements.js";
import type { ReviewedChange } from "./run.js";
import type { StaticFinding } from "./static.js";

export type Format = "text" | "json" | "github";

/** Everything one `check` run found; every path is relative to the repository root. */
export interface Findings {
  readonly problems: readonly Problem[];
  readonly changes: readonly ReviewedChange[];
  readonly stale: readonly Acknowledgement[];
  readonly unguarded: readonly StaticFinding[];
  /** Where loosenings are acknowledged, for the fix in messages. */
  readonly acknowledgeIn: string | undefined;
}

/** Whether the findings fail the check: any problem, unacknowledged loosening or unguarded finding. */
export function failing(f: Findings): boolean {
  return f.problems.length > 0 || f.unguarded.length > 0 || f.changes.some((c) => c.loosens && !c.acknowledged);
}

const unacknowledged = (c: ReviewedChange) => c.loosens && !c.acknowledged;
const howToAcknowledge = (f: Findings, c: ReviewedChange) =>
  f.acknowledgeIn === undefined
    ? `review it, then pass --allow-loosening ${c.procedure.slice(1).replace("/", ".")}`
    : `review it, then add "- rpc: ${c.procedure.slice(1).replace("/", ".")}" with a reason to ${f.acknowledgeIn}`;
const staleMessage = (a: Acknowledgement) =>
  `${a.procedure.slice(1).replace("/", ".")} is acknowledged but does not loosen (remove the entry: left in place it would accept a future loosening unseen)`;

/** "file:line:col" → parts, for changes located at their rule. */
function split(location: string | undefined): { file: string; line?: number; column?: number } | undefined {
  const match = location === undefined ? null : /^(.*):(\d+):(\d+)$/.exec(location);
  if (match === null) return location === undefined ? undefined : { file: location };
  return { file: match[1] ?? "", line: Number(match[2]), column: Number(match[3]) };
}

export function render(f: Findings, format: Format): string {
  switch (format) {
    case "json":
      return JSON.stringify(
        {
          ok: !failing(f),
          problems: f.problems,
          loosening: f.changes.filter((c) => c.loosens).map((c) => ({ ...c, ...split(c.location) })),
          tightening: f.changes.filter((c) => !c.loosens).map((c) => ({ ...c, ...split(c.location) })),
          staleAcknowledgements: f.stale,
          unguarded: f.unguarded,
        },
        null,
        2,
      );
    case "github":
      return [
        ...f.problems.map((p) => annotation("error", "protoauthz", `${p.element}: ${p.message}`, p)),
        ...f.unguarded.map((u) => annotation("error", "protoauthz", u.message, u)),
        ...f.changes.map((c) =>
          unacknowledged(c)
            ? annotation("error", "protoauthz: access loosened", `${c.procedure}: ${c.what} (${howToAcknowledge(f, c)})`, split(c.location))
            : annotation(
                "notice",
                `protoauthz: access ${c.loosens ? "loosened (acknowledged)" : "changed"}`,
                `${c.procedure}: ${c.what}`,
                split(c.location),
              ),
        ),
        ...f.stale.map((a) => annotation("warning", "protoauthz: stale acknowledgement", staleMessage(a), a)),
      ].join("\n");
    default: {
      const lines = [...f.problems.map(formatProblem), ...f.unguarded.map((u) => `${u.file}:${u.line}:${u.column}: ${u.message}`)];
      for (const c of f.changes) {
        const tag = c.loosens ? (c.acknowledged ? "loosens (acknowledged)" : "LOOSENS") : "tightens/changes";
        const at = c.location === undefined ? "" : `${c.location}: `;
        lines.push(`${at}${tag}: ${c.procedure}: ${c.what}${unacknowledged(c) ? ` (${howToAcknowledge(f, c)})` : ""}`);
      }
      for (const a of f.stale) lines.push(`${a.file}:${a.line}: stale acknowledgement: ${staleMessage(a)}`);
      const loosened = f.changes.filter(unacknowledged).length;
      lines.push(
        failing(f)
          ? `protoauthz check: ${f.problems.length} rule problem(s), ${f.unguarded.length} unguarded finding(s), ${loosened} unacknowledged loosening(s)`
          : `protoauthz check: ok${f.stale.length > 0 ? ` (${f.stale.length} stale acknowledgement(s))` : ""}`,
      );
      return lines.join("\n");
    }
  }
}

/** One GitHub workflow command, located when the place is known. */
function annotation(
  level: "error" | "warning" | "notice",
  title: string,
  message: string,
  at: { file: string; line?: number | undefined; column?: number | undefined } | undefined,
): string {
  const where =
    at === undefined ? "" : `file=${escapeProperty(at.file)},${at.line === undefined ? "" : `line=${at.line},col=${at.column ?? 1},`}`;
  return `::${level} ${where}title=${escapeProperty(title)}::${escapeData(message)}`;
}

/** GitHub workflow command data escaping. */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** Property values escape ':' and ',' as well. */
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}
