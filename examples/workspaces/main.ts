// Starts the embedded SpiceDB and the guarded server on 127.0.0.1, calls
// every RPC as every caller, prints who got what.
import { formatMatrix, runDemo } from "./demo.js";

const { matrix, denials } = await runDemo();
console.log("workspaces: decision matrix (rows: RPC and resource, columns: callers; relations checked in SpiceDB)\n");
console.log(formatMatrix(matrix));
console.log(`\nevery denial, a non-member's and a nonexistent workspace's alike, reads: ${JSON.stringify(denials)}`);
