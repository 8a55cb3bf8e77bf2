// One load-generating process: `<url> <connect|grpc> <requests> <concurrency> <tokens.json>`.
// Warms up, prints "ready", waits for "go" on stdin, sends its requests
// (each worker cycling through the callers), prints "done".
import { readFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { WorkloadService } from "../test/gen/guardtest/v1/guard_pb.js";

const [url = "", protocol, requestsArg, concurrencyArg, tokensFile = ""] = process.argv.slice(2);
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const callers = JSON.parse(readFileSync(tokensFile, "utf8")) as { authorization: string; sandboxId: string }[];
const sessionManager = new Http2SessionManager(url);
const transport = (protocol === "connect" ? createConnectTransport : createGrpcTransport)({
  baseUrl: url,
  httpVersion: "2",
  sessionManager,
});
const client = createClient(WorkloadService, transport);

let next = Math.floor(Math.random() * callers.length);
const worker = async (n: number) => {
  for (let i = 0; i < n; i++) {
    const caller = callers[next++ % callers.length] as (typeof callers)[number];
    await client.unary({ sandboxId: caller.sandboxId }, { headers: { authorization: caller.authorization } });
  }
};
await Promise.all(Array.from({ length: concurrency }, () => worker(100)));
console.log("ready");
process.stdin.once("data", async () => {
  await Promise.all(Array.from({ length: concurrency }, () => worker(Math.ceil(requests / concurrency))));
  sessionManager.abort();
  console.log("done");
  process.exit(0);
});
