// The main job's example: the gateway's decision matrix, as the README shows it.
import { describe, expect, it } from "vitest";
import { runDemo } from "../examples/sandbox-gateway/demo.js";

describe("examples/sandbox-gateway", () => {
  it("admits exactly who the proto says", async () => {
    const D = "denied";
    const U = "unauthenticated";
    expect(await runDemo()).toEqual({
      CreateSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
      "CreateSandbox ttl=48h": { anonymous: U, user: D, admin: D, "own sandbox": D, "foreign sandbox": D },
      GetSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
      WatchSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
      DeleteSandbox: { anonymous: U, user: D, admin: "ok", "own sandbox": D, "foreign sandbox": D },
      PurgeSandbox: { anonymous: D, user: D, admin: D, "own sandbox": D, "foreign sandbox": D },
      GetPolicy: { anonymous: U, user: D, admin: D, "own sandbox": "ok", "foreign sandbox": D },
      PushLogs: { anonymous: U, user: D, admin: D, "own sandbox": "ok", "foreign sandbox": D },
      Check: { anonymous: "ok", user: "ok", admin: "ok", "own sandbox": "ok", "foreign sandbox": "ok" },
    });
  });
});
