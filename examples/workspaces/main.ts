// Starts the embedded SpiceDB and the guarded server on 127.0.0.1, calls
// every RPC as every caller, prints who got what, and checks it against the
// table the relationships call for (exit code 1 on any difference); and whom
// ListSandboxes' condition alternative decided, from the audit events.
import type { AuthzEvent } from "protoauthz";
import { formatLegend, verdict } from "../expected-table.js";
import { formatMatrix, runDemo } from "./demo.js";
import { expectedDenials, expectedMatrix, legend } from "./expected.js";

console.log("workspaces: decision matrix (relations checked in SpiceDB)\n");
console.log(formatLegend(legend));
const events: AuthzEvent[] = [];
const { matrix, denials } = await runDemo((event) => events.push(event));
console.log(`\n${formatMatrix(matrix)}\n`);
// ListSandboxes is "a member, or the public workspace": its second alternative is a condition.
console.log("ListSandboxes decided by its condition alternative (from the audit events):");
for (const e of events.filter((e) => e.procedure.endsWith("/ListSandboxes") && e.alternative === 2)) {
  console.log(`  ${e.principal?.subject}: ${e.allowed ? "allowed" : "denied"} (${e.reason})`);
}
console.log("");
const tableMatched = verdict("workspaces", matrix, expectedMatrix);
const oneMessage = JSON.stringify(denials) === JSON.stringify(expectedDenials);
console.log(
  oneMessage
    ? `workspaces: ok, every denial, a non-member's and a nonexistent workspace's alike, reads ${JSON.stringify(expectedDenials[0])}`
    : `workspaces: FAILED, denials read ${JSON.stringify(denials)}, expected only ${JSON.stringify(expectedDenials)}`,
);
if (!tableMatched || !oneMessage) process.exitCode = 1;
