import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Vocabulary } from "protoauthz";
import { InputError } from "./check/image.js";
import { type Findings, type Format, failing, render } from "./check/output.js";
import { checkInput, compareTo, type ReviewedChange } from "./check/run.js";
import { checkProject, type StaticFinding } from "./check/static.js";
import { surfaceToMarkdown } from "./report.js";

const usage = `usage:
  protoc-gen-authz check <image|proto dir> [--against <previous image|dir>] [--allow-loosening <pkg.Service.Method>]…
                         [--project tsconfig.json] [--format text|json|github]
                         [--principals a|b] [--roles a|b] [--scopes a|b]
  protoc-gen-authz check --project tsconfig.json [--format …]
  protoc-gen-authz report <image|proto dir> [--format markdown|json] [--out FILE]

An image comes from 'buf build -o image.binpb'; a directory is built with buf on PATH.
Exit codes: 0 clean, 1 findings, 2 usage or input error.`;

/** The CLI behind `protoc-gen-authz check|report`; returns the exit code. */
export async function runCli(
  argv: readonly string[],
  out: (text: string) => void = (t) => process.stdout.write(`${t}\n`),
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: {
        format: { type: "string" },
        against: { type: "string" },
        "allow-loosening": { type: "string", multiple: true },
        project: { type: "string" },
        principals: { type: "string" },
        roles: { type: "string" },
        scopes: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      out(usage);
      return 0;
    }
    const list = (v: string | undefined) => (v === undefined ? undefined : v.split("|").filter((n) => n !== ""));
    const vocabulary: Vocabulary = {
      ...(values.principals !== undefined && { principals: list(values.principals) ?? [] }),
      ...(values.roles !== undefined && { roles: list(values.roles) ?? [] }),
      ...(values.scopes !== undefined && { scopes: list(values.scopes) ?? [] }),
    };
    const input = positionals[0];
    if (positionals.length > 1) throw new UsageError(`one input, not ${positionals.length}`);

    if (command === "report") {
      if (input === undefined) throw new UsageError("report needs an image or proto directory");
      const format = values.format ?? "markdown";
      if (format !== "markdown" && format !== "json") throw new UsageError(`--format ${format}: use markdown or json`);
      const { surface } = checkInput(input, vocabulary);
      const text = format === "json" ? JSON.stringify(surface, null, 2) : surfaceToMarkdown(surface);
      if (values.out !== undefined) writeFileSync(values.out, `${text}\n`);
      else out(text);
      return 0;
    }
    if (command !== "check") throw new UsageError(command === undefined ? "name a command" : `unknown command "${command}"`);

    const format = (values.format ?? "text") as Format;
    if (!["text", "json", "github"].includes(format)) throw new UsageError(`--format ${format}: use text, json or github`);
    if (input === undefined && values.project === undefined) throw new UsageError("check needs an image, a proto directory, or --project");
    if (values.against !== undefined && input === undefined)
      throw new UsageError("--against compares to an image or proto directory: give the current one too");

    const checked = input === undefined ? undefined : checkInput(input, vocabulary);
    let changes: ReviewedChange[] = [];
    if (values.against !== undefined && checked !== undefined)
      changes = compareTo(values.against, checked.surface, vocabulary, values["allow-loosening"] ?? []);
    let unguarded: StaticFinding[] = [];
    if (values.project !== undefined) {
      const covered = new Set((checked?.surface ?? []).map((r) => r.procedure.split("/")[1] ?? ""));
      unguarded = await checkProject(values.project, covered);
    }
    const findings: Findings = { problems: checked?.problems ?? [], changes, unguarded };
    out(render(findings, format));
    return failing(findings) ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`protoc-gen-authz: ${(error as Error).message}\n${error instanceof InputError ? "" : `${usage}\n`}`);
      return 2;
    }
    throw error;
  }
}

class UsageError extends Error {
  override name = "UsageError";
}
