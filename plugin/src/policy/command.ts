import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type GenerationConfig, readGenerationConfig } from "../check/buf-gen.js";
import { InputError } from "../check/image.js";
import { createPathMapper, repositoryRoot } from "../check/paths.js";
import { generatedInput } from "../check/sides.js";
import type { TestFormat } from "./render.js";
import { runPolicyTests } from "./run-suites.js";

export const testUsage = `  protoc-gen-authz test <image|proto dir> [test files or globs…] [--coverage] [--require-coverage]
                        [--format text|github|json] [--buf-gen-yaml buf.gen.yaml] [--plugin-entry <out>]`;

/** `protoc-gen-authz test`: 0 every case passes, 1 a case fails or required coverage is missing, 2 unusable input (thrown). */
export async function testCommand(args: readonly string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      format: { type: "string" },
      coverage: { type: "boolean" },
      "require-coverage": { type: "boolean" },
      "buf-gen-yaml": { type: "string" },
      "plugin-entry": { type: "string" },
    },
  });
  const [input, ...patterns] = positionals;
  if (input === undefined) throw new InputError("test needs an image or proto directory, then test files or globs");
  const format = testFormat(values.format);
  const config = generationConfig(values["buf-gen-yaml"], values["plugin-entry"]);
  const { text, failed } = await runPolicyTests({
    input: generatedInput(input, config),
    config,
    vocabulary: config?.vocabulary ?? {},
    mapPath: createPathMapper(input),
    patterns,
    coverage: values.coverage === true,
    requireCoverage: values["require-coverage"] === true,
    format,
  });
  out(text);
  return failed ? 1 : 0;
}

export function testFormat(format: string | undefined): TestFormat {
  const chosen = format ?? "text";
  if (chosen !== "text" && chosen !== "github" && chosen !== "json") throw new InputError(`--format ${chosen}: use text, github or json`);
  return chosen;
}

/** The plugin's options as `check` reads them: the buf.gen.yaml named, else ./buf.gen.yaml when present ("" reads none). */
function generationConfig(path: string | undefined, entryOut: string | undefined): GenerationConfig | undefined {
  const file = path === undefined ? (existsSync("buf.gen.yaml") ? "buf.gen.yaml" : undefined) : path === "" ? undefined : path;
  if (file === undefined) {
    if (entryOut !== undefined) throw new InputError("--plugin-entry names an entry of buf.gen.yaml: there is none here");
    return undefined;
  }
  return readGenerationConfig(file, relative(repositoryRoot(), resolve(file)) || file, entryOut);
}
