// Both npm packages ship the annotation schema, so a user's buf.yaml can
// point at node_modules/<package>/proto without the BSR.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/request.js";

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const manifest = (pkg: string) => JSON.parse(readFileSync(join(repoRoot, pkg, "package.json"), "utf8")) as Manifest;

describe("npm packages", () => {
  it("share protobuf-es, Connect and grpc-js with the project as peers with ranges, frameworks optional", () => {
    const runtime = manifest("runtime");
    // The CEL engine is the one dependency: conditions are compiled with it, nothing is shared with the project through it.
    expect(Object.keys(runtime.dependencies ?? {})).toEqual(["@marcbachmann/cel-js"]);
    expect(runtime.peerDependencies?.["@bufbuild/protobuf"]).toMatch(/^\^2\./);
    for (const framework of ["@connectrpc/connect", "@grpc/grpc-js", "jose"]) {
      expect(runtime.peerDependencies?.[framework]).toMatch(/^\^/);
      expect(runtime.peerDependenciesMeta?.[framework]?.optional).toBe(true);
    }
    const plugin = manifest("plugin");
    for (const shared of ["@bufbuild/protobuf", "@bufbuild/protoplugin"]) {
      expect(plugin.dependencies?.[shared]).toBeUndefined();
      expect(plugin.peerDependencies?.[shared]).toMatch(/^\^2\./);
    }
  });

  for (const pkg of ["runtime", "plugin"]) {
    it(`${pkg} packs the schema, its build and nothing from the tests`, () => {
      const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts=false"], {
        cwd: join(repoRoot, pkg),
        encoding: "utf8",
      });
      const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
      expect(files).toContain("proto/protoauthz/v1/authz.proto");
      expect(files).toContain("dist/index.js");
      expect(files).toContain("README.md");
      expect(files).toContain("LICENSE");
      expect(files.filter((f) => f.includes("test"))).toEqual([]);
      if (pkg === "plugin") expect(files).toContain("bin/protoc-gen-authz");
      if (pkg === "runtime") expect(files).toContain("dist/gen/protoauthz/v1/authz_pb.js");
    });
  }
});
