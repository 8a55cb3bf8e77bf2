// The main job: start the guarded gateway on 127.0.0.1, call every RPC as
// every kind of caller, print who got what.
import { formatMatrix, runDemo } from "./demo.js";

console.log("sandbox-gateway: decision matrix (rows: RPCs, columns: callers)\n");
console.log(formatMatrix(await runDemo()));
