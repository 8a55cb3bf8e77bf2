// HTTP/2 frames and HPACK written by hand: for requests Node's client will
// not send (a repeated header), and for a load generator that costs the
// client almost nothing per call.

/** An HPACK integer with an n-bit prefix (RFC 7541 §5.1). */
export function hpackInt(value: number, prefixBits: number, firstByte: number): number[] {
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

/** One frame: 9-byte header (length, type, flags, stream id), then the payload. */
export function frame(type: number, flags: number, stream: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream, 5);
  out.set(payload, 9);
  return out;
}

export const clientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
