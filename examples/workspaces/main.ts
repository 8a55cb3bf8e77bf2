// Starts the embedded SpiceDB and the guarded server on 127.0.0.1, calls
// every RPC as every caller, prints who got what, and checks it against the
// table the relationships call for (exit code 1 on any difference).
import { formatLegend, verdict } from "../expected-table.js";
import { formatMatrix, runDemo } from "./demo.js";
import { expectedDenials, expectedMatrix, legend } from "./expected.js";

console.log("workspaces: decision matrix (relations checked in SpiceDB)\n");
console.log(formatLegend(legend));
const { matrix, denials } = await runDemo();
console.log(`\n${formatMatrix(matrix)}\n`);
const tableMatched = verdict("workspaces", matrix, expectedMatrix);
const oneMessage = JSON.stringify(denials) === JSON.stringify(expectedDenials);
console.log(
  oneMessage
    ? `workspaces: ok, every denial, a non-member's and a nonexistent workspace's alike, reads ${JSON.stringify(expectedDenials[0])}`
    : `workspaces: FAILED, denials read ${JSON.stringify(denials)}, expected only ${JSON.stringify(expectedDenials)}`,
);
if (!tableMatched || !oneMessage) process.exitCode = 1;
