// The workspaces example: its decision matrix, as the README shows it, from a
// real (embedded) SpiceDB.
import { describe, expect, it } from "vitest";
import { runDemo } from "../../examples/workspaces/demo.js";

describe("examples/workspaces", () => {
  it("admits exactly who the relationships say; a nonexistent workspace is denied like a non-member", async () => {
    const U = "unauthenticated";
    const D = "denied";
    const { matrix, denials } = await runDemo();
    expect(matrix).toEqual({
      "ListSandboxes acme": { anonymous: U, "member (alice)": "ok", "admin (bob)": "ok", "owner (erin)": D, "non-member (carol)": D },
      "ListSandboxes ghost": { anonymous: U, "member (alice)": D, "admin (bob)": D, "owner (erin)": D, "non-member (carol)": D },
      "ListSandboxes public": {
        anonymous: U,
        "member (alice)": "ok",
        "admin (bob)": "ok",
        "owner (erin)": "ok",
        "non-member (carol)": "ok",
      },
      "AddMember acme": { anonymous: U, "member (alice)": D, "admin (bob)": "ok", "owner (erin)": D, "non-member (carol)": D },
      "ExecSandbox sb-1": { anonymous: U, "member (alice)": "ok", "admin (bob)": "ok", "owner (erin)": "ok", "non-member (carol)": D },
      "DeleteSandbox sb-1": { anonymous: U, "member (alice)": D, "admin (bob)": "ok", "owner (erin)": "ok", "non-member (carol)": D },
    });
    // One message for every denial: no existence oracle.
    expect(denials).toEqual(["permission denied"]);
  });
});
