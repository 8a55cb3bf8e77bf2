import * as net from "node:net";
import { clientPreface, frame, hpackInt } from "./h2-frames.js";

/** Literal header fields without indexing and without Huffman: a repeated name stays repeated. */
function hpack(headers: readonly (readonly [string, string])[]): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of headers) {
    bytes.push(0x00, ...hpackInt(name.length, 7, 0), ...Buffer.from(name, "latin1"));
    bytes.push(...hpackInt(value.length, 7, 0), ...Buffer.from(value, "latin1"));
  }
  return Buffer.from(bytes);
}

/**
 * Sends one HTTP/2 request written frame by frame, so that a header can
 * repeat (Node's own client refuses a repeated `authorization`). Resolves
 * once `done()` says the server has handled it.
 */
export async function rawH2Request(
  port: number,
  path: string,
  headers: readonly (readonly [string, string])[],
  body: string,
  done: () => boolean,
): Promise<void> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.on("error", () => {});
  const block = hpack([[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", `127.0.0.1:${port}`], ...headers]);
  socket.write(
    Buffer.concat([
      Buffer.from(clientPreface, "latin1"),
      frame(0x4, 0, 0, Buffer.alloc(0)), // SETTINGS
      frame(0x1, 0x4, 1, block), // HEADERS, END_HEADERS
      frame(0x0, 0x1, 1, Buffer.from(body)), // DATA, END_STREAM
    ]),
  );
  try {
    for (let waited = 0; !done(); waited += 10) {
      if (waited > 5000) throw new Error("the server did not handle the raw HTTP/2 request");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    socket.destroy();
  }
}
