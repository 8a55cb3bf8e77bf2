import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import type { DescFile } from "@bufbuild/protobuf";
import type { Vocabulary } from "protoauthz/tool";
import type { SurfaceRow } from "../report.js";
import { type GenerationConfig, parseGenerationConfig } from "./buf-gen.js";
import { generatedFiles } from "./generated-files.js";
import { buildAtRef } from "./git-base.js";
import { InputError, loadImage, loadInput } from "./image.js";
import { repositoryRoot } from "./paths.js";
import { checkFiles, type LocatedChange } from "./run.js";

// The two sides of a comparison, each as its own buf.gen.yaml generates it.

/**
 * What protoc-gen-authz receives from an input under a configuration: buf's
 * own type filter applied when the entry has one; `declared` is the whole
 * input (what the other plugins still generate from).
 */
export function generatedInput(input: string, config: GenerationConfig | undefined): { files: DescFile[]; declared: () => DescFile[] } {
  let whole: DescFile[] | undefined;
  const declared = () => {
    whole ??= loadInput(input);
    return whole;
  };
  if (config === undefined || !config.filters) return { files: declared(), declared };
  return { files: generatedFiles(input, config, input), declared };
}

/** RPCs the current protos declare that the configuration's type filters keep out of protoc-gen-authz's input. */
export function leftOut(
  head: { files: DescFile[]; declared: () => DescFile[] },
  generated: readonly SurfaceRow[],
  vocabulary: Vocabulary,
  config: GenerationConfig,
): Map<string, LocatedChange> {
  const result = new Map<string, LocatedChange>();
  if (!config.filters) return result;
  const shipped = new Set(generated.map((r) => r.procedure));
  const key = config.filter.excludeTypes.length > 0 ? "exclude_types" : "types";
  const location = { file: config.file, line: config.lineOf(key), column: 5 };
  for (const row of checkFiles(head.declared(), vocabulary, "deny").surface) {
    if (shipped.has(row.procedure)) continue;
    result.set(row.procedure, {
      procedure: row.procedure,
      loosens: true,
      what: `no longer generated: the protos still declare it, but ${key} of protoc-gen-authz leaves it out, so no table is generated for it while its service can still be generated and served`,
      location,
    });
  }
  return result;
}

/** The base version at a git ref: its files as its own buf.gen.yaml generates them, and that configuration. */
export function baseAtRef(
  ref: string,
  input: string | undefined,
  configPath: string | undefined,
  shown: (path: string) => string,
  entryOut: string | undefined,
): { files: DescFile[]; config: GenerationConfig | undefined } {
  const isDirectory = input !== undefined && statSync(input).isDirectory();
  if (configPath !== undefined && relative(repositoryRoot(), resolve(configPath)).startsWith(".."))
    throw new InputError(
      `${configPath}: outside the git repository, so the base's own buf.gen.yaml cannot be read (keep it in the repository)`,
    );
  const { image, config: text } = buildAtRef(ref, input, isDirectory, configPath);
  const label = `${ref}:${configPath === undefined ? "" : shown(configPath)}`;
  let config: GenerationConfig | undefined;
  if (text !== undefined) {
    try {
      config = parseGenerationConfig(text, label, entryOut);
    } catch (error) {
      // The entry named for the current version may not exist yet at the base: any agreeing entries judge it.
      if (entryOut === undefined || !(error instanceof InputError) || !error.message.startsWith("--plugin-entry")) throw error;
      config = parseGenerationConfig(text, label);
    }
  }
  if (image === undefined) return { files: [], config };
  if (config === undefined || !config.filters) return { files: loadImage(image, `${ref}:${input ?? "."}`), config };
  const work = mkdtempSync(join(tmpdir(), "protoauthz-base-image-"));
  try {
    writeFileSync(join(work, "base.binpb"), image);
    return { files: generatedFiles(join(work, "base.binpb"), config, `the base ${ref}`, work), config };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
