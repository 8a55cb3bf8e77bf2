// Starts the embedded SpiceDB and the guarded server on 127.0.0.1, calls
// every RPC as every caller, prints who got what.
import type { AuthzEvent } from "protoauthz";
import { formatMatrix, runDemo } from "./demo.js";

const events: AuthzEvent[] = [];
const { matrix, denials } = await runDemo((event) => events.push(event));
console.log("workspaces: decision matrix (rows: RPC and resource, columns: callers; relations checked in SpiceDB)\n");
console.log(formatMatrix(matrix));
console.log(`\nevery denial, a non-member's and a nonexistent workspace's alike, reads: ${JSON.stringify(denials)}`);
// ListSandboxes is "a member, or the public workspace": the second alternative is a condition.
const byCondition = events.filter((e) => e.procedure.endsWith("/ListSandboxes") && e.alternative === 2);
console.log("\nListSandboxes decided by its condition alternative (from the audit events):");
for (const e of byCondition) console.log(`  ${e.principal?.subject}: ${e.allowed ? "allowed" : "denied"} (${e.reason})`);
