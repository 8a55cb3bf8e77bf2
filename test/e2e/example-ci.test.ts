// The CI recipe's pieces, run on the example gateway as the workflow runs them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnectRouter } from "@connectrpc/connect";
import { assertCoverage } from "protoauthz";
import { servedByConnectRouter } from "protoauthz/connect";
import { describe, expect, it } from "vitest";
import { createAuthzGuard } from "../../examples/sandbox-gateway/gen/authz_registry.js";
import { gatewayRoutes } from "../../examples/sandbox-gateway/service.js";
import { bufBin, repoRoot } from "../support/request.js";

describe("examples/ci", () => {
  it("the gateway's router and guard cover each other", () => {
    const router = createConnectRouter();
    gatewayRoutes()(router);
    expect(() => assertCoverage(createAuthzGuard({ authenticate: () => undefined }), servedByConnectRouter(router))).not.toThrow();
  });

  it("check and report pass on the gateway's image, and the workflow names them", () => {
    const dir = mkdtempSync(join(tmpdir(), "protoauthz-ci-"));
    try {
      const image = join(dir, "current.binpb");
      expect(spawnSync(bufBin, ["build", "examples/sandbox-gateway/proto", "-o", image], { cwd: repoRoot }).status).toBe(0);
      const bin = join(repoRoot, "plugin/bin/protoc-gen-authz");
      const check = spawnSync(process.execPath, [bin, "check", image, "--format", "github"], { encoding: "utf8" });
      expect(check.status).toBe(0);
      const report = spawnSync(process.execPath, [bin, "report", image], { encoding: "utf8" });
      expect(report.stdout).toContain("| `/sandboxgw.v1.WorkloadService/PushLogs` | authenticated | `sandbox` |");
      const workflow = readFileSync(join(repoRoot, "examples/ci/github-actions.yml"), "utf8");
      for (const step of [
        "npm run generate",
        "git diff --exit-code",
        "protoc-gen-authz check current.binpb",
        "--against-git",
        "protoc-gen-authz report",
      ]) {
        expect(workflow).toContain(step);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
