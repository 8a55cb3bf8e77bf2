// One load-generating process: `<url> <connect|grpc> <requests> <concurrency> <callers.json>`.
// Warms up, prints "ready", waits for "go" on stdin, sends its requests (each
// stream slot cycling through the callers), prints "done".
//
// HTTP/2 written by hand over one TCP connection, every request's frames
// encoded in advance: a few µs of client CPU per call, so that one core of
// load keeps a server's core busy (Node's http2 client costs about as much
// per call as the server it measures). Responses are not decoded, only
// counted; the server counts the calls its handler served, and the benchmark
// checks that every call was.
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { MsgSchema } from "../test/gen/guardtest/v1/guard_pb.js";
import { clientPreface, frame, hpackInt } from "../test/support/h2-frames.js";

const [url = "", protocol, requestsArg, concurrencyArg, callersFile = ""] = process.argv.slice(2);
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const grpc = protocol === "grpc";
const { hostname, port, host } = new URL(url);

const frameType = { data: 0, headers: 1, rstStream: 3, settings: 4, ping: 6, goaway: 7, windowUpdate: 8 };
const flag = { endStream: 1, ack: 1, endHeaders: 4 };

const string = (text: string) => [...hpackInt(Buffer.byteLength(text), 7, 0), ...Buffer.from(text)];
/** A literal field without indexing, its name from the static table (RFC 7541 §6.2.2). */
const indexedName = (index: number, value: string) => [...hpackInt(index, 4, 0), ...string(value)];
const newName = (name: string, value: string) => [0, ...string(name), ...string(value)];

/** Both frames of one call, with the stream id left to fill in (offsets 5 and 9 + headers + 5). */
function requestFrames(authorization: string, sandboxId: string): Buffer {
  const message = toBinary(MsgSchema, create(MsgSchema, { sandboxId }));
  const body = grpc ? Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]) : Buffer.from(message);
  const block = Buffer.from([
    0x83, // :method POST
    0x86, // :scheme http
    ...indexedName(4, "/guardtest.v1.WorkloadService/Unary"),
    ...indexedName(1, host),
    ...indexedName(31, grpc ? "application/grpc" : "application/proto"),
    ...(grpc ? newName("te", "trailers") : []),
    ...indexedName(23, authorization),
  ]);
  return Buffer.concat([frame(frameType.headers, flag.endHeaders, 0, block), frame(frameType.data, flag.endStream, 0, body)]);
}

const callers = (JSON.parse(readFileSync(callersFile, "utf8")) as { authorization: string; sandboxId: string }[]).map((c) =>
  requestFrames(c.authorization, c.sandboxId),
);

const fail = (why: string): never => {
  console.error(`load client: ${why}`);
  process.exit(1);
};

const socket: Socket = connect(Number(port), hostname);
socket.setNoDelay(true);
socket.on("error", (error) => fail(error.message));
const settings = Buffer.alloc(6);
settings.writeUInt16BE(4, 0); // SETTINGS_INITIAL_WINDOW_SIZE
settings.writeUInt32BE(2 ** 31 - 1, 2);
const connectionWindow = Buffer.alloc(4);
connectionWindow.writeUInt32BE(2 ** 31 - 1 - 65_535);
socket.write(
  Buffer.concat([
    Buffer.from(clientPreface, "latin1"),
    frame(frameType.settings, 0, 0, settings),
    frame(frameType.windowUpdate, 0, 0, connectionWindow),
  ]),
);

let nextStream = 1;
let nextCaller = Math.floor(Math.random() * callers.length);
let toSend = 0;
let inFlight = 0;
let received = 0; // DATA bytes since the last connection window update
let finished: (() => void) | undefined;
let pending: Buffer[] = [];

function send(): void {
  const frames = Buffer.from(callers[nextCaller++ % callers.length] as Buffer);
  frames.writeUInt32BE(nextStream, 5);
  frames.writeUInt32BE(nextStream, 9 + frames.readUIntBE(0, 3) + 5);
  nextStream += 2;
  toSend--;
  inFlight++;
  pending.push(frames);
}

function flush(): void {
  if (pending.length > 0) socket.write(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
  pending = [];
}

/** Sends `count` calls, `concurrency` at a time. */
function run(count: number): Promise<void> {
  toSend = count;
  const done = new Promise<void>((resolve) => (finished = resolve));
  while (inFlight < concurrency && toSend > 0) send();
  flush();
  return done;
}

let buffered: Buffer = Buffer.alloc(0);
socket.on("data", (chunk: Buffer) => {
  buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
  let at = 0;
  while (buffered.length - at >= 9) {
    const length = buffered.readUIntBE(at, 3);
    if (buffered.length - at < 9 + length) break;
    const type = buffered[at + 3] as number;
    const flags = buffered[at + 4] as number;
    const stream = buffered.readUInt32BE(at + 5) & 0x7fffffff;
    const payload = buffered.subarray(at + 9, at + 9 + length);
    at += 9 + length;
    if (type === frameType.settings && (flags & flag.ack) === 0) pending.push(frame(frameType.settings, flag.ack, 0, new Uint8Array()));
    else if (type === frameType.ping && (flags & flag.ack) === 0) pending.push(frame(frameType.ping, flag.ack, 0, payload));
    else if (type === frameType.goaway) fail("the server sent GOAWAY");
    else if (type === frameType.rstStream) fail(`the server reset stream ${stream}`);
    if (type === frameType.data) received += length;
    if ((type === frameType.data || type === frameType.headers) && (flags & flag.endStream) !== 0) {
      inFlight--;
      if (toSend > 0) send();
      else if (inFlight === 0) finished?.();
    }
  }
  buffered = buffered.subarray(at);
  if (received > 2 ** 30) {
    const increment = Buffer.alloc(4);
    increment.writeUInt32BE(received);
    pending.push(frame(frameType.windowUpdate, 0, 0, increment));
    received = 0;
  }
  flush();
});

await run(concurrency * 200);
console.log("ready");
process.stdin.once("data", async () => {
  await run(requests);
  console.log("done");
  socket.destroy();
  process.exit(0);
});
