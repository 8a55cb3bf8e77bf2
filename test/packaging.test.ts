// Both npm packages ship the annotation schema, so a user's buf.yaml can
// point at node_modules/<package>/proto without the BSR.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/request.js";

describe("npm packages", () => {
  for (const pkg of ["runtime", "plugin"]) {
    it(`${pkg} packs the schema, its build and nothing from the tests`, () => {
      const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts=false"], {
        cwd: join(repoRoot, pkg),
        encoding: "utf8",
      });
      const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
      expect(files).toContain("proto/protoauthz/v1/authz.proto");
      expect(files).toContain("dist/index.js");
      expect(files.filter((f) => f.includes("test"))).toEqual([]);
      if (pkg === "plugin") expect(files).toContain("bin/protoc-gen-authz");
      if (pkg === "runtime") expect(files).toContain("dist/gen/protoauthz/v1/authz_pb.js");
    });
  }
});
