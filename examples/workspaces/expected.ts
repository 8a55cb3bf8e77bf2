// The decisions workspaces.proto and relationships.txt call for, and what the
// table's rows and columns are.
import type { Legend, Table } from "../expected-table.js";
import type { Caller } from "./demo.js";

const D = "denied";
const U = "unauthenticated";

export const expectedMatrix: Table<Caller> = {
  "ListSandboxes acme": { anonymous: U, "member (alice)": "ok", "admin (bob)": "ok", "owner (erin)": D, "non-member (carol)": D },
  "ListSandboxes ghost": { anonymous: U, "member (alice)": D, "admin (bob)": D, "owner (erin)": D, "non-member (carol)": D },
  // The condition alternative admits every user.
  "ListSandboxes public": { anonymous: U, "member (alice)": "ok", "admin (bob)": "ok", "owner (erin)": "ok", "non-member (carol)": "ok" },
  "AddMember acme": { anonymous: U, "member (alice)": D, "admin (bob)": "ok", "owner (erin)": D, "non-member (carol)": D },
  "ExecSandbox sb-1": { anonymous: U, "member (alice)": "ok", "admin (bob)": "ok", "owner (erin)": "ok", "non-member (carol)": D },
  "DeleteSandbox sb-1": { anonymous: U, "member (alice)": D, "admin (bob)": "ok", "owner (erin)": "ok", "non-member (carol)": D },
};

/** Every denial, a non-member's and a nonexistent workspace's alike, carries this one message. */
export const expectedDenials = ["permission denied"];

export const legend: Legend<Caller> = {
  rows: "an RPC of workspaces.proto and the resource it names (workspace ghost does not exist; public is open to every user by a condition; sb-1 is in acme)",
  columns: {
    anonymous: "no credentials",
    "member (alice)": "member of workspace acme",
    "admin (bob)": "admin of workspace acme",
    "owner (erin)": "owner of sandbox sb-1, in no workspace",
    "non-member (carol)": "a valid user in no workspace",
  },
};
