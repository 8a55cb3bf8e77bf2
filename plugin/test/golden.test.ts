// Golden cases: test/golden/<case>/{input/**.proto, params.txt, expected/}.
// expected/ holds every generated file, or error.txt when generation fails.
// Update all with `npm run golden:update`, then review the diff.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAuthz } from "../../test/support/generate.js";
import { type Compiled, compileInputs, requestFrom } from "../../test/support/request-batch.js";

const goldenDir = join(import.meta.dirname, "../../test/golden");
const update = process.env.UPDATE_GOLDEN === "1";

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  };
  if (existsSync(dir)) walk(dir);
  return files;
}

describe("golden", () => {
  const names = readdirSync(goldenDir).sort();
  const inputOf = (name: string) => join(goldenDir, name, "input");
  // All cases compile in a few buf runs (test/e2e/request-batch.test.ts
  // checks that each request equals the one buf gives for the case alone).
  let compiled: Map<string, Compiled>;
  beforeAll(() => {
    compiled = compileInputs(names.map(inputOf));
  });
  for (const name of names) {
    const caseDir = join(goldenDir, name);
    it(name, () => {
      const paramsFile = join(caseDir, "params.txt");
      const params = existsSync(paramsFile) ? readFileSync(paramsFile, "utf8").trim() : "target=ts,import_extension=js";
      const result = runAuthz(requestFrom(compiled.get(inputOf(name))!, params));
      const actual = new Map(result.files);
      if (result.error !== undefined) actual.set("error.txt", `${result.error}\n`);
      const expectedDir = join(caseDir, "expected");
      if (update) {
        rmSync(expectedDir, { recursive: true, force: true });
        for (const [file, content] of actual) {
          mkdirSync(dirname(join(expectedDir, file)), { recursive: true });
          writeFileSync(join(expectedDir, file), content);
        }
        if (actual.size === 0) mkdirSync(expectedDir, { recursive: true });
        writeFileSync(join(expectedDir, ".keep"), "");
      }
      const expected = readTree(expectedDir);
      expected.delete(".keep");
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [file, content] of expected) expect(actual.get(file), file).toBe(content);
    });
  }
});
