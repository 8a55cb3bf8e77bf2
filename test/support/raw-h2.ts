import * as net from "node:net";

/** An HPACK integer with an n-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** Literal header fields without indexing and without Huffman: a repeated name stays repeated. */
function hpack(headers: readonly (readonly [string, string])[]): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of headers) {
    bytes.push(0x00, ...hpackInt(name.length, 7, 0), ...Buffer.from(name, "latin1"));
    bytes.push(...hpackInt(value.length, 7, 0), ...Buffer.from(value, "latin1"));
  }
  return Buffer.from(bytes);
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
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
      Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"),
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
