// The main job: start the guarded gateway on 127.0.0.1, call every RPC as
// every kind of caller, print who got what, and what each condition denied.
import type { AuthzEvent } from "protoauthz";
import { formatMatrix, runDemo } from "./demo.js";

const byConditions: AuthzEvent[] = [];
const matrix = await runDemo((event) => {
  if (event.condition !== undefined) byConditions.push(event);
});
console.log("sandbox-gateway: decision matrix (rows: RPCs, columns: callers)\n");
console.log(formatMatrix(matrix));
console.log("\ndenied by a condition (from the audit events):");
for (const e of byConditions) {
  console.log(
    `  ${e.procedure} as ${e.principal?.subject}: ${e.reason}, condition ${e.condition?.index} ${JSON.stringify(e.condition?.expression)}`,
  );
}
