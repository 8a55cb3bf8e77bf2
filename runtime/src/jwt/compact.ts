import { isUtf8 } from "node:buffer";
import { AuthenticationError } from "../errors.js";

/** A compact JWS split and decoded, signature not yet checked. */
export interface CompactJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The payload's JSON text, for reading numbers exactly (JSON.parse rounds them). */
  readonly payloadText: string;
  /** "<header>.<payload>": the bytes the signature covers (ASCII). */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** Decoded headers by their encoded form: a service sees a handful of distinct ones. */
const headers = new Map<string, Record<string, unknown>>();
const maxCachedHeaders = 256;

/** A JSON object with a plain prototype, as jose requires of headers and claims. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function segment(part: string, what: string): Buffer {
  // The bearer grammar already restricts parts to the base64url alphabet; a
  // length of 4n+1 cannot be base64 and Buffer would silently drop a character.
  if (part.length % 4 === 1) throw new AuthenticationError(`token ${what} is not valid base64url`);
  return Buffer.from(part, "base64url");
}

function json(part: string, what: string): { readonly value: Record<string, unknown>; readonly text: string } {
  let parsed: unknown;
  let text: string;
  try {
    const bytes = segment(part, what);
    if (!isUtf8(bytes)) throw new Error("not UTF-8"); // jose decodes strictly, too
    text = bytes.toString("utf8");
    parsed = JSON.parse(text);
  } catch {
    throw new AuthenticationError(`token ${what} is not a JSON object`);
  }
  if (!isPlainObject(parsed)) throw new AuthenticationError(`token ${what} is not a JSON object`);
  return { value: parsed, text };
}

/**
 * Splits and decodes a compact JWS (the bearer grammar checked its alphabet).
 * Throws AuthenticationError for anything malformed. Extensions (`crit`,
 * `b64`) are refused: a JWT never needs them.
 */
export function parseCompact(token: string): CompactJws {
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (first < 0 || second < 0 || token.indexOf(".", second + 1) >= 0) throw new AuthenticationError("token is not a compact JWS");
  const encodedHeader = token.slice(0, first);
  let header = headers.get(encodedHeader);
  if (header === undefined) {
    header = json(encodedHeader, "header").value;
    if (typeof header.alg !== "string" || header.alg === "") throw new AuthenticationError('token header has no "alg"');
    if (header.crit !== undefined || header.b64 !== undefined) throw new AuthenticationError("token header uses JWS extensions (crit/b64)");
    if (headers.size >= maxCachedHeaders) headers.clear();
    headers.set(encodedHeader, Object.freeze(header));
  }
  const payload = json(token.slice(first + 1, second), "claims");
  return {
    header,
    payload: payload.value,
    payloadText: payload.text,
    signingInput: token.slice(0, second),
    signature: segment(token.slice(second + 1), "signature"),
  };
}
