// The main job: start the guarded gateway on 127.0.0.1, call every RPC as
// every kind of caller, print who got what, and check it against the table
// gateway.proto calls for (exit code 1 on any difference).
import { formatLegend, verdict } from "../expected-table.js";
import { formatMatrix, runDemo } from "./demo.js";
import { expectedMatrix, legend } from "./expected.js";

console.log("sandbox-gateway: decision matrix\n");
console.log(formatLegend(legend));
const observed = await runDemo();
console.log(`\n${formatMatrix(observed)}\n`);
if (!verdict("sandbox-gateway", observed, expectedMatrix)) process.exitCode = 1;
