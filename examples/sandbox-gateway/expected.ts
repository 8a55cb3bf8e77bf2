// The decisions gateway.proto calls for, and what the table's rows and columns are.
import type { Legend, Table } from "../expected-table.js";
import type { Caller } from "./demo.js";

const D = "denied";
const U = "unauthenticated";

export const expectedMatrix: Table<Caller> = {
  CreateSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
  // Its condition allows a TTL of a day at most.
  "CreateSandbox ttl=48h": { anonymous: U, user: D, admin: D, "own sandbox": D, "foreign sandbox": D },
  GetSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
  ListSandboxes: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
  WatchSandbox: { anonymous: U, user: "ok", admin: "ok", "own sandbox": D, "foreign sandbox": D },
  DeleteSandbox: { anonymous: U, user: D, admin: "ok", "own sandbox": D, "foreign sandbox": D },
  PurgeSandbox: { anonymous: D, user: D, admin: D, "own sandbox": D, "foreign sandbox": D },
  GetPolicy: { anonymous: U, user: D, admin: D, "own sandbox": "ok", "foreign sandbox": D },
  PushLogs: { anonymous: U, user: D, admin: D, "own sandbox": "ok", "foreign sandbox": D },
  Check: { anonymous: "ok", user: "ok", admin: "ok", "own sandbox": "ok", "foreign sandbox": "ok" },
};

export const legend: Legend<Caller> = {
  rows: "the RPCs of gateway.proto (PurgeSandbox is `deny`, Check is `public`; CreateSandbox ttl=48h asks for more than its condition allows)",
  columns: {
    anonymous: "no credentials",
    user: "alice, a user JWT with role member and scope sandboxes.write; she created the sandbox",
    admin: "bob, a user JWT with role admin",
    "own sandbox": "the workload token of alice's sandbox (sandbox_id bound to the request's)",
    "foreign sandbox": "a valid workload token for another sandbox, sb-999",
  },
};
