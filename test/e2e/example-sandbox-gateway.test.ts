// The main job's example: the gateway's decision matrix, as the README shows
// it, and `npm run example`'s verdict: its final line says every decision
// matched, and a mismatch fails the run.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { mismatches, verdict } from "../../examples/expected-table.js";
import { runDemo } from "../../examples/sandbox-gateway/demo.js";
import { expectedMatrix } from "../../examples/sandbox-gateway/expected.js";
import { repoRoot } from "../support/request.js";

describe("examples/sandbox-gateway", () => {
  it("admits exactly who the proto says", async () => {
    const D = "denied";
    const U = "unauthenticated";
    expect(await runDemo()).toEqual({
      CreateSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
      "CreateSandbox ttl=48h": { anonymous: U, user: D, admin: D, "own sandbox": D, "foreign sandbox": D },
      GetSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
      ListSandboxes: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
      WatchSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
      DeleteSandbox: { anonymous: U, user: D, admin: "ok", "own sandbox": D, "foreign sandbox": D },
      PurgeSandbox: { anonymous: D, user: D, admin: D, "own sandbox": D, "foreign sandbox": D },
      GetPolicy: { anonymous: U, user: D, admin: D, "own sandbox": "ok", "foreign sandbox": D },
      PushLogs: { anonymous: U, user: D, admin: D, "own sandbox": "ok", "foreign sandbox": D },
      Check: { anonymous: "ok", user: "ok", admin: "ok", "own sandbox": "ok", "foreign sandbox": "ok" },
    });
  });

  it("main prints a legend, the table and a final line saying every decision matched (exit 0)", () => {
    const run = spawnSync(process.execPath, [join(repoRoot, "node_modules/tsx/dist/cli.mjs"), "examples/sandbox-gateway/main.ts"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^rows: /m);
    expect(run.stdout).toMatch(/^ {2}foreign sandbox +a valid workload token for another sandbox/m);
    expect(run.stdout).toMatch(/^ {2}unauthenticated +no or invalid credentials/m);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("sandbox-gateway: ok, all 50 decisions matched the expected table");
  }, 60_000);

  it("a decision that differs from the expected table fails the verdict and names the cell", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const observed = structuredClone(expectedMatrix);
      observed.PurgeSandbox = { ...observed.PurgeSandbox, admin: "ok" } as (typeof observed)["PurgeSandbox"];
      delete observed.Check;
      expect(mismatches(observed, expectedMatrix)).toEqual([
        "PurgeSandbox as admin: expected denied, got ok",
        ...["anonymous", "user", "admin", "own sandbox", "foreign sandbox"].map((c) => `Check as ${c}: expected ok, got (none)`),
      ]);
      expect(verdict("sandbox-gateway", observed, expectedMatrix)).toBe(false);
      expect(log.mock.calls[0]?.[0]).toBe("sandbox-gateway: FAILED, 6 of 50 decisions differ from the expected table:");
      expect(verdict("sandbox-gateway", expectedMatrix, expectedMatrix)).toBe(true);
    } finally {
      log.mockRestore();
    }
  });
});
