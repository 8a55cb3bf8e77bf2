import type { Vocabulary } from "protoauthz/tool";
import type { GenerationConfig } from "../check/buf-gen.js";
import { coverageOf } from "./coverage.js";
import { defaultPattern, expandPatterns } from "./glob.js";
import { buildModel, type GeneratedInput } from "./model.js";
import { renderReport, reportFails, type TestFormat, type TestReport } from "./render.js";
import { type RunnableCase, resolveSuite } from "./resolve.js";
import { runCases } from "./runner.js";
import { readTestSuite, shownPath } from "./suite-file.js";

export interface PolicyTestOptions {
  /** The input as `check` loads it (generatedInput: buf.gen.yaml's type filters applied). */
  readonly input: GeneratedInput;
  /** buf.gen.yaml's protoc-gen-authz entry, as `check` reads it. */
  readonly config: GenerationConfig | undefined;
  readonly vocabulary: Vocabulary;
  /** Image file name → repository path. */
  readonly mapPath: (file: string) => string;
  /** Test files or globs; none means every *.authz-test.yaml below the working directory. */
  readonly patterns: readonly string[];
  readonly coverage: boolean;
  readonly requireCoverage: boolean;
  readonly format: TestFormat;
}

/**
 * Runs policy tests against the rules the input generates. Throws
 * InputError (exit 2) at the first unusable input or test file; otherwise
 * returns the rendered report and whether it fails (exit 1).
 */
export async function runPolicyTests(options: PolicyTestOptions): Promise<{ text: string; failed: boolean }> {
  const model = buildModel(options.input, options.config, options.vocabulary, options.mapPath);
  const paths = expandPatterns(options.patterns.length === 0 ? [defaultPattern] : options.patterns);
  const cases: RunnableCase[] = [];
  for (const path of paths) cases.push(...resolveSuite(readTestSuite(path, shownPath), model));
  const results = await runCases(cases, model, shownPath);
  const wantsCoverage = options.coverage || options.requireCoverage;
  const report: TestReport = {
    files: paths.length,
    results,
    coverage: wantsCoverage ? coverageOf(model.rpcs.values(), results) : undefined,
    requireCoverage: options.requireCoverage,
  };
  return { text: renderReport(report, options.format), failed: reportFails(report) };
}
