// The main job: start the guarded gateway on 127.0.0.1, call every RPC as
// every kind of caller, print who got what, and check it against the table
// gateway.proto calls for (exit code 1 on any difference); and what each
// condition denied, from the audit events.
import type { AuthzEvent } from "protoauthz";
import { formatLegend, verdict } from "../expected-table.js";
import { formatMatrix, runDemo } from "./demo.js";
import { expectedMatrix, legend } from "./expected.js";

console.log("sandbox-gateway: decision matrix\n");
console.log(formatLegend(legend));
const byConditions: AuthzEvent[] = [];
const observed = await runDemo((event) => {
  if (event.condition !== undefined) byConditions.push(event);
});
console.log(`\n${formatMatrix(observed)}\n`);
console.log("denied by a condition (from the audit events):");
for (const e of byConditions) {
  console.log(
    `  ${e.procedure} as ${e.principal?.subject}: ${e.reason}, condition ${e.condition?.index} ${JSON.stringify(e.condition?.expression)}`,
  );
}
console.log("");
if (!verdict("sandbox-gateway", observed, expectedMatrix)) process.exitCode = 1;
