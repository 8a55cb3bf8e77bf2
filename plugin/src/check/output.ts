import { formatProblem, type Problem } from "../collect.js";
import type { ReviewedChange } from "./run.js";
import type { StaticFinding } from "./static.js";

export type Format = "text" | "json" | "github";

export interface Findings {
  readonly problems: readonly Problem[];
  readonly changes: readonly ReviewedChange[];
  readonly unguarded: readonly StaticFinding[];
}

/** Whether the findings fail the check: any problem, unacknowledged loosening or unguarded finding. */
export function failing(f: Findings): boolean {
  return f.problems.length > 0 || f.unguarded.length > 0 || f.changes.some((c) => c.loosens && !c.acknowledged);
}

export function render(f: Findings, format: Format): string {
  switch (format) {
    case "json":
      return JSON.stringify(
        {
          ok: !failing(f),
          problems: f.problems,
          loosening: f.changes.filter((c) => c.loosens),
          tightening: f.changes.filter((c) => !c.loosens),
          unguarded: f.unguarded,
        },
        null,
        2,
      );
    case "github":
      return [
        ...f.problems.map(
          (p) => `::error ${ghLocation(p.file, p.line, p.column)}title=protoauthz::${escapeData(`${p.element}: ${p.message}`)}`,
        ),
        ...f.unguarded.map((u) => `::error ${ghLocation(u.file, u.line, u.column)}title=protoauthz::${escapeData(u.message)}`),
        ...f.changes.map((c) =>
          c.loosens && !c.acknowledged
            ? `::error title=protoauthz: access loosened::${escapeData(`${c.procedure}: ${c.what} (acknowledge with --allow-loosening ${c.procedure})`)}`
            : `::notice title=protoauthz: access ${c.loosens ? "loosened (acknowledged)" : "changed"}::${escapeData(`${c.procedure}: ${c.what}`)}`,
        ),
      ].join("\n");
    default: {
      const lines = [...f.problems.map(formatProblem), ...f.unguarded.map((u) => `${u.file}:${u.line}:${u.column}: ${u.message}`)];
      for (const c of f.changes) {
        const tag = c.loosens ? (c.acknowledged ? "loosens (acknowledged)" : "LOOSENS") : "tightens/changes";
        lines.push(
          `${tag}: ${c.procedure}: ${c.what}${c.loosens && !c.acknowledged ? ` (review it, then pass --allow-loosening ${c.procedure})` : ""}`,
        );
      }
      const loosened = f.changes.filter((c) => c.loosens && !c.acknowledged).length;
      lines.push(
        failing(f)
          ? `protoauthz check: ${f.problems.length} rule problem(s), ${f.unguarded.length} unguarded finding(s), ${loosened} unacknowledged loosening(s)`
          : "protoauthz check: ok",
      );
      return lines.join("\n");
    }
  }
}

function ghLocation(file: string, line: number | undefined, column: number | undefined): string {
  return line === undefined ? `file=${file},` : `file=${file},line=${line},col=${column ?? 1},`;
}

/** GitHub workflow command data escaping. */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}
