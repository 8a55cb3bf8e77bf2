// Runtime values of the condition evaluator. CEL int and uint are bigint
// (the static type says which), double is number, string/bool as is, bytes
// Uint8Array, null null, list a JS array, map a CelMap, timestamp and duration
// their own classes, a message the protobuf-es message itself.

/** An evaluation failure: the condition denies with condition_error. */
export class ConditionEvalError extends Error {
  override readonly name = "ConditionEvalError";
  constructor(
    message: string,
    /** 0-based offset in the expression of the part that failed. */
    readonly position: number,
  ) {
    super(message);
  }
}

export const intMin = -(2n ** 63n);
export const intMax = 2n ** 63n - 1n;
export const uintMax = 2n ** 64n - 1n;

/** A CEL map: a proto map field or the principal's attributes (backed by a record) or a literal. */
export interface CelMap {
  get(key: unknown): unknown;
  has(key: unknown): boolean;
  readonly size: number;
  keys(): unknown[];
}

/** A map over a JS record, as protobuf-es holds map fields (keys are strings there). */
export class RecordMap implements CelMap {
  constructor(
    private readonly record: Readonly<Record<string, unknown>>,
    private readonly keyFromString: (key: string) => unknown,
    private readonly value: (raw: unknown) => unknown,
  ) {}
  get(key: unknown): unknown {
    const k = recordKey(key);
    return k !== undefined && Object.hasOwn(this.record, k) ? this.value(this.record[k]) : undefined;
  }
  has(key: unknown): boolean {
    const k = recordKey(key);
    return k !== undefined && Object.hasOwn(this.record, k);
  }
  get size(): number {
    return Object.keys(this.record).length;
  }
  keys(): unknown[] {
    return Object.keys(this.record).map(this.keyFromString);
  }
}

/** A map literal of the expression. */
export class LiteralMap implements CelMap {
  private readonly entries = new Map<unknown, unknown>();
  constructor(pairs: readonly (readonly [unknown, unknown])[], position: number) {
    for (const [k, v] of pairs) {
      const key = normalKey(k);
      if (this.entries.has(key)) throw new ConditionEvalError(`duplicate map key ${String(k)}`, position);
      this.entries.set(key, v);
    }
  }
  get(key: unknown): unknown {
    return this.entries.get(normalKey(key));
  }
  has(key: unknown): boolean {
    return this.entries.has(normalKey(key));
  }
  get size(): number {
    return this.entries.size;
  }
  keys(): unknown[] {
    return [...this.entries.keys()];
  }
}

/** Record keys: a proto map with integer keys is keyed by the decimal string. */
function recordKey(key: unknown): string | undefined {
  switch (typeof key) {
    case "string":
      return key;
    case "bigint":
      return key.toString();
    case "boolean":
      return key ? "true" : "false";
    case "number":
      return Number.isInteger(key) ? BigInt(key).toString() : undefined;
    default:
      return undefined;
  }
}

/** 1 and 1.0 (and 1u) are the same key. */
function normalKey(key: unknown): unknown {
  return typeof key === "number" && Number.isInteger(key) ? BigInt(key) : key;
}

export class CelTimestamp {
  constructor(readonly nanos: bigint) {}
}

export class CelDuration {
  constructor(readonly nanos: bigint) {}
}

/** Timestamps CEL allows: years 0001 to 9999. */
const timestampMin = -62135596800n * 1_000_000_000n;
const timestampMax = (253402300799n + 1n) * 1_000_000_000n - 1n;
/** Durations CEL allows: about ±10,000 years. */
const durationLimit = 315576000000n * 1_000_000_000n;

export function timestamp(nanos: bigint, position: number): CelTimestamp {
  if (nanos < timestampMin || nanos > timestampMax) throw new ConditionEvalError("timestamp out of range", position);
  return new CelTimestamp(nanos);
}

export function duration(nanos: bigint, position: number): CelDuration {
  if (nanos < -durationLimit || nanos > durationLimit) throw new ConditionEvalError("duration out of range", position);
  return new CelDuration(nanos);
}

export function checkedInt(value: bigint, position: number): bigint {
  if (value < intMin || value > intMax) throw new ConditionEvalError("int overflow", position);
  return value;
}

export function checkedUint(value: bigint, position: number): bigint {
  if (value < 0n || value > uintMax) throw new ConditionEvalError("uint overflow", position);
  return value;
}

/** CEL equality: heterogeneous numbers compare by value, lists and maps element-wise, NaN is unequal. */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== "number" || !Number.isNaN(a);
  const ta = typeof a;
  const tb = typeof b;
  if (ta === "bigint" && tb === "number") return numberEqualsBig(b as number, a as bigint);
  if (ta === "number" && tb === "bigint") return numberEqualsBig(a as number, b as bigint);
  if (ta !== "object" || tb !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof CelTimestamp) return b instanceof CelTimestamp && a.nanos === b.nanos;
  if (a instanceof CelDuration) return b instanceof CelDuration && a.nanos === b.nanos;
  if (isCelMap(a)) {
    if (!isCelMap(b) || a.size !== b.size) return false;
    return a.keys().every((k) => b.has(k) && celEquals(a.get(k), b.get(k)));
  }
  return false;
}

function numberEqualsBig(n: number, b: bigint): boolean {
  return Number.isInteger(n) && BigInt(n) === b;
}

export function isCelMap(v: unknown): v is CelMap {
  return v instanceof RecordMap || v instanceof LiteralMap;
}

/**
 * CEL ordering, -1/0/1; numbers compare across int, uint and double; NaN
 * against any number is NaN (every ordering is false); undefined when the
 * types do not compare.
 */
export function celCompare(a: unknown, b: unknown): number | undefined {
  const ta = typeof a;
  const tb = typeof b;
  if (ta === tb && (ta === "bigint" || ta === "string" || ta === "boolean")) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  if (ta === "number" && tb === "number") return Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : sign((a as number) - (b as number));
  if (ta === "bigint" && tb === "number") return compareBigNumber(a as bigint, b as number);
  if (ta === "number" && tb === "bigint") {
    return -(compareBigNumber(b as bigint, a as number) as number);
  }
  if (a instanceof CelTimestamp && b instanceof CelTimestamp) return sign3(a.nanos, b.nanos);
  if (a instanceof CelDuration && b instanceof CelDuration) return sign3(a.nanos, b.nanos);
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1;
    return sign(a.length - b.length);
  }
  return undefined;
}

function compareBigNumber(a: bigint, n: number): number {
  if (Number.isNaN(n)) return Number.NaN;
  if (n === Number.POSITIVE_INFINITY) return -1;
  if (n === Number.NEGATIVE_INFINITY) return 1;
  const floor = Math.floor(n);
  const c = sign3(a, BigInt(floor));
  if (c !== 0) return c;
  return n === floor ? 0 : -1;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function sign3(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A code point count, as CEL's size() of a string. */
export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The name of a value's CEL type, for error messages. */
export function typeName(v: unknown): string {
  switch (typeof v) {
    case "bigint":
      return "int";
    case "number":
      return "double";
    case "string":
      return "string";
    case "boolean":
      return "bool";
    default:
      if (v === null) return "null";
      if (v === undefined) return "unset";
      if (Array.isArray(v)) return "list";
      if (v instanceof Uint8Array) return "bytes";
      if (v instanceof CelTimestamp) return "timestamp";
      if (v instanceof CelDuration) return "duration";
      if (isCelMap(v)) return "map";
      return "message";
  }
}
