import { existsSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Vocabulary } from "protoauthz/tool";
import { type Acknowledgement, readAcknowledgements } from "./check/acknowledgements.js";
import { type GenerationConfig, readGenerationConfig } from "./check/buf-gen.js";
import { configChanges } from "./check/config-diff.js";
import { InputError } from "./check/image.js";
import { type Findings, type Format, failing, problemLines, render } from "./check/output.js";
import { createPathMapper, repositoryRoot } from "./check/paths.js";
import { normalizeProcedure } from "./check/procedure.js";
import { type CheckResult, checkFiles, compareSurfaces, type ReviewedChange } from "./check/run.js";
import { baseAtRef, generatedInput, leftOut } from "./check/sides.js";
import { checkProject, type StaticFinding } from "./check/static.js";
import { collect } from "./collect.js";
import type { Location } from "./location.js";
import { jsonDocument, textField } from "./render.js";
import { surfaceJson, surfaceRows, surfaceToMarkdown } from "./report.js";

const usage = `usage:
  protoc-gen-authz check <image|proto dir> [--against <previous image|dir> | --against-git <ref>]
                         [--acknowledgements authz-acknowledgements.yaml] [--allow-loosening <pkg.Service.Method>]…
                         [--project tsconfig.json] [--format text|json|github] [--buf-gen-yaml buf.gen.yaml] [--plugin-entry <out>]
                         [--principals a|b] [--roles a|b] [--scopes a|b]
  protoc-gen-authz check --project tsconfig.json [--format …]
  protoc-gen-authz report <image|proto dir> [--format markdown|json] [--out FILE]

An image comes from 'buf build -o image.binpb'; a directory is built with buf on PATH.
Plugin options (vocabulary, undeclared=) and the entry's types/exclude_types are read from ./buf.gen.yaml
when it exists (--against-git reads the base's from the base revision); when several protoc-gen-authz
entries generate differently, --plugin-entry names the one that ships by its out:.
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

type Values = ReturnType<typeof parseCommandLine>["values"];

/** One invocation of the CLI: its flags, its input, and the configuration and vocabulary they select. */
interface Invocation {
  readonly values: Values;
  /** The image or proto directory, if given. */
  readonly input: string | undefined;
  readonly configPath: string | undefined;
  readonly config: GenerationConfig | undefined;
  readonly vocabulary: Vocabulary;
  /** A path as the user knows it: relative to the repository root. */
  readonly shown: (path: string) => string;
  /** A file of the input as the user knows it. */
  readonly mapPath: (file: string) => string;
  readonly out: (text: string) => void;
}

async function run(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseCommandLine(rest);
  if (values.help) {
    out(usage);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`one input, not ${positionals.length}`);
  const invocation = invocationOf(values, positionals[0], out);
  if (command === "report") return runReport(invocation);
  if (command === "check") return runCheck(invocation);
  throw new UsageError(command === undefined ? "name a command" : `unknown command "${command}"`);
}

function parseCommandLine(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      format: { type: "string" },
      against: { type: "string" },
      "against-git": { type: "string" },
      acknowledgements: { type: "string" },
      "allow-loosening": { type: "string", multiple: true },
      "buf-gen-yaml": { type: "string" },
      "plugin-entry": { type: "string" },
      project: { type: "string" },
      principals: { type: "string" },
      roles: { type: "string" },
      scopes: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** Reads buf.gen.yaml (the one named, or ./buf.gen.yaml) and applies the vocabulary flags over its options. */
function invocationOf(values: Values, input: string | undefined, out: (text: string) => void): Invocation {
  const root = repositoryRoot();
  const shown = (path: string) => relative(root, resolve(path)) || path;
  const configPath = configFile(values["buf-gen-yaml"]);
  const entryOut = values["plugin-entry"];
  const config = configPath === undefined ? undefined : readGenerationConfig(configPath, shown(configPath), entryOut);
  if (entryOut !== undefined && config === undefined)
    throw new UsageError("--plugin-entry names an entry of buf.gen.yaml: there is none here");
  const list = (v: string) => v.split("|").filter((n) => n !== "");
  const vocabulary: Vocabulary = {
    ...config?.vocabulary,
    ...(values.principals !== undefined && { principals: list(values.principals) }),
    ...(values.roles !== undefined && { roles: list(values.roles) }),
    ...(values.scopes !== undefined && { scopes: list(values.scopes) }),
  };
  return { values, input, configPath, config, vocabulary, shown, mapPath: createPathMapper(input), out };
}

/** `report`: the auth surface as markdown or JSON; no report at all while a rule cannot be read. */
function runReport({ values, input, config, vocabulary, mapPath, out }: Invocation): number {
  if (input === undefined) throw new UsageError("report needs an image or proto directory");
  const format = values.format ?? "markdown";
  if (format !== "markdown" && format !== "json") throw new UsageError(`--format ${format}: use markdown or json`);
  // Undeclared RPCs are listed (as deny, or audit while migrating), never dropped from the surface.
  const undeclared = config?.options.undeclared === "audit" ? "audit" : "deny";
  const result = checkFiles(generatedInput(input, config).files, vocabulary, undeclared);
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
  const text = format === "json" ? jsonDocument(surfaceJson(surface)) : surfaceToMarkdown(surface, mode);
  if (values.out === undefined) out(text);
  else writeReport(values.out, `${text}\n`);
  return 0;
}

/** `check`: rule and layout problems, changes against a base, unguarded servers; exit 1 on what fails. */
async function runCheck(invocation: Invocation): Promise<number> {
  const { values, input, config, vocabulary, mapPath, shown } = invocation;
  const format = (values.format ?? "text") as Format;
  if (!["text", "json", "github"].includes(format)) throw new UsageError(`--format ${format}: use text, json or github`);
  if (input === undefined && values.project === undefined) throw new UsageError("check needs an image, a proto directory, or --project");
  const againstGit = values["against-git"];
  if ((values.against !== undefined || againstGit !== undefined) && input === undefined)
    throw new UsageError("--against and --against-git compare to the current image or proto directory: give it too");
  if (values.against !== undefined && againstGit !== undefined) throw new UsageError("use --against or --against-git, not both");

  const head = input === undefined ? undefined : generatedInput(input, config);
  const checked = head === undefined ? undefined : checkFiles(head.files, vocabulary, config?.options.undeclared ?? "error");
  const problems = [
    ...(checked?.problems ?? []),
    ...(head !== undefined && config !== undefined ? config.layoutProblems(head.declared()) : []),
  ];
  const compared =
    head !== undefined && checked !== undefined && (values.against !== undefined || againstGit !== undefined)
      ? reviewChanges(invocation, head, checked)
      : { changes: [], stale: [] };
  // The services the image's tables cover count as covered in the project too.
  const unguarded: StaticFinding[] =
    values.project === undefined ? [] : await checkProject(values.project, new Set((checked?.surface ?? []).map((r) => r.service)));
  const findings: Findings = {
    problems: problems.map((p) => ({ ...p, file: mapPath(p.file) })),
    ...compared,
    unguarded,
    audited: (checked?.surface ?? [])
      .filter((r) => r.access === "audit")
      .map((r) => ({ procedure: r.procedure, location: mapLocation(r.location, mapPath) })),
    acknowledgeIn: values.acknowledgements === undefined ? undefined : shown(values.acknowledgements),
  };
  invocation.out(render(findings, format));
  return failing(findings) ? 1 : 0;
}

/**
 * The changes from the base (--against, or --against-git's revision judged
 * with its own buf.gen.yaml), with the reviewed acknowledgements applied.
 */
function reviewChanges(
  { values, input, config, configPath, vocabulary, shown, mapPath }: Invocation,
  head: ReturnType<typeof generatedInput>,
  checked: CheckResult,
): { changes: readonly ReviewedChange[]; stale: readonly Acknowledgement[] } {
  const acknowledgements = [
    ...(values.acknowledgements === undefined ? [] : readAcknowledgements(values.acknowledgements, shown(values.acknowledgements))),
    ...(values["allow-loosening"] ?? []).map((name) => ({ procedure: normalizeProcedure(name), reason: "", file: flagged, line: 0 })),
  ];
  // Each side is judged with its own buf.gen.yaml; a previous image given as a file has none of its own.
  const base =
    values.against !== undefined
      ? { files: generatedInput(values.against, config).files, config }
      : baseAtRef(values["against-git"] ?? "", input, configPath, shown, values["plugin-entry"]);
  const before = surfaceRows(
    collect(base.files, base.config?.vocabulary ?? vocabulary, base.config?.options.undeclared === "audit" ? "audit" : "deny").services,
  );
  const { changes, stale } = compareSurfaces(
    before,
    checked.surface,
    acknowledgements,
    config === undefined ? undefined : leftOut(head, checked.surface, vocabulary, config),
    configChanges(base.config, config),
  );
  // Configuration changes keep their buf.gen.yaml path; the protos' map to the repository.
  const inConfig = (location: Location) => config !== undefined && location.file === config.file;
  return {
    changes: changes.map((c) => ({
      ...c,
      ...(c.location !== undefined && !inConfig(c.location) && { location: mapLocation(c.location, mapPath) }),
    })),
    // A flag lasts one run; only the reviewed file's entries can go stale.
    stale: stale.filter((a) => a.file !== flagged),
  };
}

const flagged = "--allow-loosening";
const failsGeneration = "no rule declared: buf generate fails on it (undeclared=error); listed as deny";

/** The buf.gen.yaml to read: the one named, else ./buf.gen.yaml when present; "" reads none. */
function configFile(path: string | undefined): string | undefined {
  if (path === "") return undefined;
  if (path === undefined) return existsSync("buf.gen.yaml") ? "buf.gen.yaml" : undefined;
  return path;
}

/** The location with its file as the user knows it (relative to the repository root). */
function mapLocation(location: Location, mapPath: (file: string) => string): Location {
  return { ...location, file: mapPath(location.file) };
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
