/**
 * What the checker can tell about a ZedToken without asking SpiceDB.
 *
 * A ZedToken is opaque: standard base64 (with padding) of a protobuf
 * `DecodedZedToken` holding a revision (`v1`, field 3, with the revision
 * string as its field 1; or the deprecated zookie, field 2). The revision's
 * format belongs to the datastore (an integer, an HLC decimal, a Postgres
 * snapshot), so two tokens are never ordered here: only a token seen before
 * is known to be covered by an answer (see DecisionCache).
 */

/** Far longer than any revision a datastore writes; a bound on what a header can make the checker decode. */
const maxTokenLength = 8192;

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Why `token` cannot be a ZedToken SpiceDB would read, or undefined when it
 * may be one. Never stricter than SpiceDB: whatever only the engine can judge
 * (the revision's format, its datastore) is left to the engine.
 */
export function zedTokenProblem(token: string): string | undefined {
  if (token.length > maxTokenLength) return `longer than ${maxTokenLength} characters`;
  if (!base64.test(token)) return "not standard base64";
  const bytes = Buffer.from(token, "base64");
  let revisions = 0;
  const read = readMessage(bytes, 0, bytes.length, (field, start, end) => {
    // SpiceDB rejects the whole token when a version's message is malformed.
    if (field === 2) {
      revisions++; // the deprecated zookie: its revision is a number
      return readMessage(bytes, start, end, () => true);
    }
    if (field !== 3) return true;
    // v1: a revision string (field 1) that is not empty; SpiceDB merges repeated occurrences.
    return readMessage(bytes, start, end, (inner, from, to) => {
      if (inner === 1 && to > from) revisions++;
      return true;
    });
  });
  if (!read) return "not a protobuf message";
  return revisions === 0 ? "it holds no revision" : undefined;
}

/**
 * Walks the protobuf message in bytes[start, end), calling `visit` for each
 * length-delimited field at its top level (groups are skipped as protobuf
 * does). False when the bytes are not a well-formed message.
 */
function readMessage(
  bytes: Uint8Array,
  start: number,
  end: number,
  visit: (field: number, start: number, end: number) => boolean,
): boolean {
  let at = start;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (at >= end) return undefined;
      const byte = bytes[at++] as number;
      // Lengths and field numbers past 2^28 never occur in a token; such a value reads as Infinity.
      if (shift < 28) value |= (byte & 0x7f) << shift;
      else if ((byte & 0x7f) !== 0) value = Number.POSITIVE_INFINITY;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  const groups: number[] = [];
  while (at < end) {
    const tag = varint();
    if (tag === undefined || tag < 8 || !Number.isFinite(tag)) return false;
    const field = tag >>> 3;
    switch (tag & 7) {
      case 0:
        if (varint() === undefined) return false;
        break;
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        const length = varint();
        if (length === undefined || length > end - at) return false;
        if (groups.length === 0 && !visit(field, at, at + length)) return false;
        at += length;
        break;
      }
      case 3:
        groups.push(field);
        break;
      case 4:
        if (groups.pop() !== field) return false;
        break;
      default:
        return false;
    }
    if (at > end) return false;
  }
  return groups.length === 0;
}

/**
 * True when SpiceDB refused the call for the token it was given: the engine
 * alone can parse a revision, and answers InvalidArgument ("invalid revision
 * requested") to one it cannot read.
 */
export function isTokenRefusal(error: unknown): boolean {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (!(cause instanceof Error)) return false;
  const code = (cause as { code?: unknown }).code;
  // grpc-js sets code 3; the embedded engine spells the status in its message.
  const invalidArgument = code === 3 || /\bcode = InvalidArgument\b/.test(cause.message);
  return invalidArgument && /invalid revision|zedtoken/i.test(cause.message);
}
