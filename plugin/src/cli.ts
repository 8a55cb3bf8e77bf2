import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Vocabulary } from "protoauthz/tool";
import { type Acknowledgement, readAcknowledgements } from "./check/acknowledgements.js";
import { type GenerationConfig, readGenerationConfig } from "./check/buf-gen.js";
import { buildAtRef } from "./check/git-base.js";
import { InputError, loadImage, loadInput } from "./check/image.js";
import { type Findings, type Format, failing, problemLines, render } from "./check/output.js";
import { createPathMapper, repositoryRoot } from "./check/paths.js";
import { normalizeProcedure } from "./check/procedure.js";
import { type CheckResult, checkFiles, compareSurfaces, type ReviewedChange } from "./check/run.js";
import { checkProject, type StaticFinding } from "./check/static.js";
import { jsonDocument, textField } from "./render.js";
import { surfaceToMarkdown } from "./report.js";

const usage = `usage:
  protoc-gen-authz check <image|proto dir> [--against <previous image|dir> | --against-git <ref>]
                         [--acknowledgements authz-acknowledgements.yaml] [--allow-loosening <pkg.Service.Method>]…
                         [--project tsconfig.json] [--format text|json|github] [--buf-gen-yaml buf.gen.yaml]
                         [--principals a|b] [--roles a|b] [--scopes a|b]
  protoc-gen-authz check --project tsconfig.json [--format …]
  protoc-gen-authz report <image|proto dir> [--format markdown|json] [--out FILE]

An image comes from 'buf build -o image.binpb'; a directory is built with buf on PATH.
Plugin options (vocabulary, undeclared=) are read from ./buf.gen.yaml when it exists.
Exit codes: 0 clean, 1 findings, 2 usage or input error.`;

/** The CLI behind `protoc-gen-authz check|report`; returns the exit code. Never throws. */
export async function runCli(
  argv: readonly string[],
  out: (text: string) => void = (t) => process.stdout.write(`${t}\n`),
): Promise<number> {
  try {
    return await run(argv, out);
  } catch (error) {
    const known =
      error instanceof UsageError || error instanceof InputError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    const message = known
      ? (error as Error).message
      : `unexpected error: ${(error as Error).message ?? String(error)} (the input may be malformed; rebuild it with 'buf build -o image.binpb', and report this if it persists)`;
    process.stderr.write(
      `protoc-gen-authz: ${textField(message.replaceAll("\n", " "))}\n${error instanceof UsageError ? `${usage}\n` : ""}`,
    );
    return 2;
  }
}

async function run(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    options: {
      format: { type: "string" },
      against: { type: "string" },
      "against-git": { type: "string" },
      acknowledgements: { type: "string" },
      "allow-loosening": { type: "string", multiple: true },
      "buf-gen-yaml": { type: "string" },
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
  const input = positionals[0];
  if (positionals.length > 1) throw new UsageError(`one input, not ${positionals.length}`);
  const root = repositoryRoot();
  const shown = (path: string) => relative(root, resolve(path)) || path;
  const config = generationConfig(values["buf-gen-yaml"], shown);
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split("|").filter((n) => n !== ""));
  const vocabulary: Vocabulary = {
    ...config?.vocabulary,
    ...(values.principals !== undefined && { principals: list(values.principals) ?? [] }),
    ...(values.roles !== undefined && { roles: list(values.roles) ?? [] }),
    ...(values.scopes !== undefined && { scopes: list(values.scopes) ?? [] }),
  };
  const mapPath = createPathMapper(input);

  if (command === "report") {
    if (input === undefined) throw new UsageError("report needs an image or proto directory");
    const format = values.format ?? "markdown";
    if (format !== "markdown" && format !== "json") throw new UsageError(`--format ${format}: use markdown or json`);
    // Undeclared RPCs are listed (as deny, or audit while migrating), never dropped from the surface.
    const undeclared = config?.options.undeclared === "audit" ? "audit" : "deny";
    const result = generated(checkFiles(loadInput(input), vocabulary, undeclared), config);
    // A rule that cannot be read is missing from the surface: no report rather than an incomplete one.
    if (result.problems.length > 0) {
      const problems = result.problems.map((p) => ({ ...p, file: mapPath(p.file) }));
      process.stderr.write(
        `${problemLines(problems).join("\n")}\nprotoc-gen-authz report: ${problems.length} rule problem(s), no report written (fix the rules above; a report without them would not be the whole surface)\n`,
      );
      return 1;
    }
    const mode = config?.options.undeclared ?? "error";
    const surface = result.surface.map((r) => ({
      ...r,
      location: mapLocation(r.location, mapPath),
      // Under undeclared=error generation fails on these; they are listed as deny, and said so.
      ...(r.source === "undeclared" && mode === "error" && { reason: failsGeneration }),
    }));
    const text = format === "json" ? jsonDocument(surface) : surfaceToMarkdown(surface, mode);
    if (values.out === undefined) out(text);
    else writeReport(values.out, `${text}\n`);
    return 0;
  }
  if (command !== "check") throw new UsageError(command === undefined ? "name a command" : `unknown command "${command}"`);

  const format = (values.format ?? "text") as Format;
  if (!["text", "json", "github"].includes(format)) throw new UsageError(`--format ${format}: use text, json or github`);
  if (input === undefined && values.project === undefined) throw new UsageError("check needs an image, a proto directory, or --project");
  const againstGit = values["against-git"];
  if ((values.against !== undefined || againstGit !== undefined) && input === undefined)
    throw new UsageError("--against and --against-git compare to the current image or proto directory: give it too");
  if (values.against !== undefined && againstGit !== undefined) throw new UsageError("use --against or --against-git, not both");

  const files = input === undefined ? undefined : loadInput(input);
  const checked = files === undefined ? undefined : generated(checkFiles(files, vocabulary, config?.options.undeclared ?? "error"), config);
  const problems = [...(checked?.problems ?? []), ...(files !== undefined && config !== undefined ? config.layoutProblems(files) : [])];

  let changes: readonly ReviewedChange[] = [];
  let stale: readonly Acknowledgement[] = [];
  if (checked !== undefined && (values.against !== undefined || againstGit !== undefined)) {
    const acknowledgements = [
      ...(values.acknowledgements === undefined ? [] : readAcknowledgements(values.acknowledgements, shown(values.acknowledgements))),
      ...(values["allow-loosening"] ?? []).map((name) => ({
        procedure: normalizeProcedure(name),
        reason: "",
        file: flagged,
        line: 0,
      })),
    ];
    const previous = values.against !== undefined ? loadInput(values.against) : baseFiles(againstGit ?? "", input);
    ({ changes, stale } = compareSurfaces(previous, checked.surface, vocabulary, acknowledgements, config?.options.undeclared));
    // A flag lasts one run; only the reviewed file's entries can go stale.
    stale = stale.filter((a) => a.file !== flagged);
    changes = changes.map((c) => ({ ...c, ...(c.location !== undefined && { location: mapLocation(c.location, mapPath) }) }));
  }
  let unguarded: StaticFinding[] = [];
  if (values.project !== undefined) {
    const covered = new Set((checked?.surface ?? []).map((r) => r.procedure.split("/")[1] ?? ""));
    unguarded = await checkProject(values.project, covered);
  }
  const findings: Findings = {
    problems: problems.map((p) => ({ ...p, file: mapPath(p.file) })),
    changes,
    stale,
    unguarded,
    audited: (checked?.surface ?? [])
      .filter((r) => r.access === "audit")
      .map((r) => ({ procedure: r.procedure, location: mapLocation(r.location, mapPath) })),
    acknowledgeIn: values.acknowledgements === undefined ? undefined : shown(values.acknowledgements),
  };
  out(render(findings, format));
  return failing(findings) ? 1 : 0;
}

const flagged = "--allow-loosening";
const failsGeneration = "no rule declared: buf generate fails on it (undeclared=error); listed as deny";

/** What buf generate generates: services the plugin's exclude_types leaves out (e.g. grpc.health.v1) are not judged. */
function generated(result: CheckResult, config: GenerationConfig | undefined): CheckResult {
  if (config === undefined) return result;
  return {
    problems: result.problems.filter((p) => !config.excluded(p.element)),
    surface: result.surface.filter((r) => !config.excluded(r.procedure.split("/")[1] ?? "")),
  };
}

/** The base version's files at a git ref; none when the input did not exist there. */
function baseFiles(ref: string, input: string | undefined) {
  const isDirectory = input !== undefined && statSync(input).isDirectory();
  const bytes = buildAtRef(ref, input, isDirectory);
  return bytes === undefined ? [] : loadImage(bytes, `${ref}:${input ?? "."}`);
}

/** The plugin's options from buf.gen.yaml: the one named, else ./buf.gen.yaml when present. */
function generationConfig(path: string | undefined, shown: (path: string) => string): GenerationConfig | undefined {
  if (path === "") return undefined;
  if (path === undefined) return existsSync("buf.gen.yaml") ? readGenerationConfig("buf.gen.yaml", shown("buf.gen.yaml")) : undefined;
  return readGenerationConfig(path, shown(path));
}

function mapLocation(location: string, mapPath: (file: string) => string): string {
  const match = /^(.*?)(:\d+:\d+)?$/.exec(location);
  return `${mapPath(match?.[1] ?? location)}${match?.[2] ?? ""}`;
}

function writeReport(path: string, text: string): void {
  if (!existsSync(dirname(resolve(path))))
    throw new InputError(`--out ${path}: the directory ${dirname(path)} does not exist (create it first)`);
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new InputError(
      `--out ${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); choose a writable file`,
    );
  }
}

class UsageError extends Error {
  override name = "UsageError";
}
