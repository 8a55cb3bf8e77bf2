import { githubMessage, githubProperty, jsonDocument, textField } from "../render.js";
import type { Gap, RpcCoverage } from "./coverage.js";
import type { CaseResult } from "./runner.js";
import { formatWhere } from "./where.js";

export type TestFormat = "text" | "github" | "json";

/** Everything one run found. Untrusted text (names, paths, messages) reaches each format through ../render.ts. */
export interface TestReport {
  readonly files: number;
  readonly results: readonly CaseResult[];
  /** Per RPC, when --coverage or --require-coverage asked for it. */
  readonly coverage: readonly RpcCoverage[] | undefined;
  readonly requireCoverage: boolean;
}

export function gapsOf(report: TestReport): Gap[] {
  return (report.coverage ?? []).flatMap((r) => r.gaps);
}

/** Exit code 1 when a case failed, or coverage is required and a gap remains. */
export function reportFails(report: TestReport): boolean {
  return report.results.some((r) => !r.passed) || (report.requireCoverage && gapsOf(report).length > 0);
}

export function renderReport(report: TestReport, format: TestFormat): string {
  switch (format) {
    case "json":
      return jsonDocument(toJson(report));
    case "github":
      return renderGithub(report);
    default:
      return renderText(report);
  }
}

/** What decided, in the guard's audit words: reason, alternative, relation, stream message. */
function decidedBy(result: CaseResult): string {
  const { decision } = result;
  const parts: string[] = [decision.reason];
  if (decision.alternative !== undefined) parts.push(`any_of alternative ${decision.alternative}`);
  if (decision.relation !== undefined) parts.push(`relation ${decision.relation}`);
  if (decision.detail !== undefined) parts.push(decision.detail);
  if (result.deniedAt !== undefined && result.case.messages.length > 1) parts.push(`stream message ${result.deniedAt + 1}`);
  return parts.join(", ");
}

/** "file.proto:LINE" of the rule that decided. */
function ruleLine(result: CaseResult): string {
  return result.case.rpc.ruleLocation.replace(/:\d+$/, "");
}

function failureMessage(result: CaseResult): string {
  const c = result.case;
  return `${c.rpc.procedure.slice(1)} as ${c.principalName}: expected ${c.expected}, got ${result.actual} (${decidedBy(result)}); rule at ${ruleLine(result)}`;
}

function summary(report: TestReport): string {
  const failed = report.results.filter((r) => !r.passed).length;
  const gaps = gapsOf(report).length;
  const coverage = report.coverage === undefined ? "" : `, ${gaps} coverage gap${gaps === 1 ? "" : "s"}`;
  return `protoauthz test: ${report.results.length} case${report.results.length === 1 ? "" : "s"} in ${report.files} file${report.files === 1 ? "" : "s"}, ${report.results.length - failed} passed, ${failed} failed${coverage}`;
}

function renderText(report: TestReport): string {
  const lines: string[] = [];
  for (const r of report.results) if (!r.passed) lines.push(textField(`${formatWhere(r.case.where)}: FAIL ${failureMessage(r)}`));
  if (report.coverage !== undefined) {
    lines.push("coverage:");
    let service = "";
    for (const rpc of report.coverage) {
      const [name, method] = rpc.procedure.slice(1).split("/");
      if (name !== service) lines.push(textField(`  ${(service = name ?? "")}`));
      const outcomes = rpc.cases === 0 ? "(no test)" : rpc.outcomes.join(" ");
      lines.push(
        textField(
          `    ${method} [${rpc.access}] ${outcomes}${rpc.gaps.length > 0 ? ` — ${rpc.gaps.length} gap${rpc.gaps.length === 1 ? "" : "s"}` : ""}`,
        ),
      );
    }
  }
  const gaps = gapsOf(report);
  if (gaps.length > 0) {
    lines.push(report.requireCoverage ? "coverage gaps (required):" : "coverage gaps:");
    for (const g of gaps) lines.push(textField(`${g.location}: ${g.procedure.slice(1)}: ${g.message}`));
  }
  lines.push(summary(report));
  return lines.join("\n");
}

function renderGithub(report: TestReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    if (!r.passed) lines.push(annotation("error", "protoauthz test failed", failureMessage(r), r.case.where));
  }
  for (const g of gapsOf(report)) {
    lines.push(
      annotation(
        report.requireCoverage ? "error" : "warning",
        "protoauthz coverage gap",
        `${g.procedure.slice(1)}: ${g.message}`,
        split(g.location),
      ),
    );
  }
  lines.push(summary(report));
  return lines.join("\n");
}

function toJson(report: TestReport) {
  return {
    ok: !reportFails(report),
    files: report.files,
    cases: report.results.length,
    passed: report.results.filter((r) => r.passed).length,
    failures: report.results
      .filter((r) => !r.passed)
      .map((r) => ({
        ...r.case.where,
        rpc: r.case.rpc.procedure,
        principal: r.case.principalName,
        expected: r.case.expected,
        actual: r.actual,
        reason: r.decision.reason,
        ...(r.decision.alternative !== undefined && { alternative: r.decision.alternative }),
        ...(r.decision.relation !== undefined && { relation: r.decision.relation }),
        ...(r.deniedAt !== undefined && { streamMessage: r.deniedAt + 1 }),
        rule: split(r.case.rpc.ruleLocation),
      })),
    ...(report.coverage !== undefined && {
      coverage: report.coverage.map((c) => ({ ...c, gaps: c.gaps.map((g) => g.message) })),
      gaps: gapsOf(report).map((g) => ({ ...g, ...split(g.location) })),
    }),
  };
}

/** "file:line:col" → parts. */
function split(location: string): { file: string; line?: number; column?: number } {
  const match = /^(.*):(\d+):(\d+)$/.exec(location);
  return match === null ? { file: location } : { file: match[1] ?? "", line: Number(match[2]), column: Number(match[3]) };
}

/** One GitHub workflow command at a file position. */
function annotation(
  level: "error" | "warning",
  title: string,
  message: string,
  at: { file: string; line?: number; column?: number },
): string {
  const where = `file=${githubProperty(at.file)},${at.line === undefined ? "" : `line=${at.line},col=${at.column ?? 1},`}`;
  return `::${level} ${where}title=${githubProperty(title)}::${githubMessage(message)}`;
}
