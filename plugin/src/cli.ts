import { existsSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Vocabulary } from "protoauthz";
import { type Acknowledgement, readAcknowledgements } from "./check/acknowledgements.js";
import { readGenerationConfig } from "./check/buf-gen.js";
import { configChanges } from "./check/config-diff.js";
import { InputError } from "./check/image.js";
import { type Findings, type Format, failing, problemLines, render } from "./check/output.js";
import { createPathMapper, repositoryRoot } from "./check/paths.js";
import { normalizeProcedure } from "./check/procedure.js";
import { checkFiles, compareSurfaces, type ReviewedChange } from "./check/run.js";
import { baseAtRef, generatedInput, leftOut } from "./check/sides.js";
import { checkProject, type StaticFinding } from "./check/static.js";
import { collect } from "./collect.js";
import { jsonDocument, textField } from "./render.js";
import { surfaceRows, surfaceToMarkdown } from "./report.js";

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
      "plugin-entry": { type: "string" },
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
  const configPath = configFile(values["buf-gen-yaml"]);
  const entryOut = values["plugin-entry"];
  const config = configPath === undefined ? undefined : readGenerationConfig(configPath, shown(configPath), entryOut);
  if (entryOut !== undefined && config === undefined)
    throw new UsageError("--plugin-entry names an entry of buf.gen.yaml: there is none here");
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

  const head = input === undefined ? undefined : generatedInput(input, config);
  const checked = head === undefined ? undefined : checkFiles(head.files, vocabulary, config?.options.undeclared ?? "error");
  const problems = [
    ...(checked?.problems ?? []),
    ...(head !== undefined && config !== undefined ? config.layoutProblems(head.declared()) : []),
  ];

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
    // Each side is judged with its own buf.gen.yaml; a previous image given as a file has none of its own.
    const base =
      values.against !== undefined
        ? { files: generatedInput(values.against, config).files, config }
        : baseAtRef(againstGit ?? "", input, configPath, shown, entryOut);
    const before = surfaceRows(
      collect(base.files, base.config?.vocabulary ?? vocabulary, base.config?.options.undeclared === "audit" ? "audit" : "deny").services,
    );
    ({ changes, stale } = compareSurfaces(
      before,
      checked.surface,
      acknowledgements,
      head === undefined || config === undefined ? undefined : leftOut(head, checked.surface, vocabulary, config),
      configChanges(base.config, config),
    ));
    // A flag lasts one run; only the reviewed file's entries can go stale.
    stale = stale.filter((a) => a.file !== flagged);
    const inConfig = (location: string) => config !== undefined && location.startsWith(`${config.file}:`);
    changes = changes.map((c) => ({
      ...c,
      ...(c.location !== undefined && !inConfig(c.location) && { location: mapLocation(c.location, mapPath) }),
    }));
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

/** The buf.gen.yaml to read: the one named, else ./buf.gen.yaml when present; "" reads none. */
function configFile(path: string | undefined): string | undefined {
  if (path === "") return undefined;
  if (path === undefined) return existsSync("buf.gen.yaml") ? "buf.gen.yaml" : undefined;
  return path;
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
