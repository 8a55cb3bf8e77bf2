// Golden cases: test/golden/<case>/{input/**.proto, params.txt, expected/}.
// expected/ holds every generated file, or error.txt when generation fails.
// Update all with `npm run golden:update`, then review the diff.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { generateDir } from "../../test/support/generate.js";

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
  for (const name of readdirSync(goldenDir).sort()) {
    const caseDir = join(goldenDir, name);
    it(name, () => {
      const paramsFile = join(caseDir, "params.txt");
      const params = existsSync(paramsFile) ? readFileSync(paramsFile, "utf8").trim() : "target=ts,import_extension=js";
      const result = generateDir(join(caseDir, "input"), params);
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
