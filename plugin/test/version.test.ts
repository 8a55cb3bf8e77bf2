// The version the plugin prints in every generated file is the package's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../test/support/request.js";
import { version } from "../src/version.js";

describe("versions", () => {
  it("plugin/src/version.ts matches both packages", () => {
    for (const pkg of ["plugin", "runtime"]) {
      expect(JSON.parse(readFileSync(join(repoRoot, pkg, "package.json"), "utf8")).version).toBe(version);
    }
  });
});
