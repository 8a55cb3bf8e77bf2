// Arithmetic, conversions and string functions of the evaluator, chosen by the
// static types the checker gave each node: no overload is looked up per call.
import {
  CelDuration,
  CelTimestamp,
  ConditionEvalError,
  checkedInt,
  checkedUint,
  codePoints,
  duration,
  isCelMap,
  timestamp,
  typeName,
} from "./values.js";

export type Binary = (a: unknown, b: unknown) => unknown;

/** The function computing `op` on operands of the given static types, or undefined when not one. */
export function arithmetic(op: string, left: string, right: string, position: number): Binary | undefined {
  const fail = (message: string): never => {
    throw new ConditionEvalError(message, position);
  };
  if (left === "int" && right === "int") {
    switch (op) {
      case "+":
        return (a, b) => checkedInt((a as bigint) + (b as bigint), position);
      case "-":
        return (a, b) => checkedInt((a as bigint) - (b as bigint), position);
      case "*":
        return (a, b) => checkedInt((a as bigint) * (b as bigint), position);
      case "/":
        return (a, b) => ((b as bigint) === 0n ? fail("division by zero") : checkedInt((a as bigint) / (b as bigint), position));
      case "%":
        return (a, b) => ((b as bigint) === 0n ? fail("modulus by zero") : (a as bigint) % (b as bigint));
    }
  }
  if (left === "uint" && right === "uint") {
    switch (op) {
      case "+":
        return (a, b) => checkedUint((a as bigint) + (b as bigint), position);
      case "-":
        return (a, b) => checkedUint((a as bigint) - (b as bigint), position);
      case "*":
        return (a, b) => checkedUint((a as bigint) * (b as bigint), position);
      case "/":
        return (a, b) => ((b as bigint) === 0n ? fail("division by zero") : (a as bigint) / (b as bigint));
      case "%":
        return (a, b) => ((b as bigint) === 0n ? fail("modulus by zero") : (a as bigint) % (b as bigint));
    }
  }
  if (left === "double" && right === "double") {
    switch (op) {
      case "+":
        return (a, b) => (a as number) + (b as number);
      case "-":
        return (a, b) => (a as number) - (b as number);
      case "*":
        return (a, b) => (a as number) * (b as number);
      case "/":
        return (a, b) => (a as number) / (b as number);
    }
  }
  if (op === "+" && left === "string" && right === "string") return (a, b) => (a as string) + (b as string);
  if (op === "+" && left.startsWith("list") && right.startsWith("list")) return (a, b) => [...(a as unknown[]), ...(b as unknown[])];
  return timeArithmetic(op, left, right, position);
}

const ts = "google.protobuf.Timestamp";
const dur = "google.protobuf.Duration";

function timeArithmetic(op: string, left: string, right: string, position: number): Binary | undefined {
  const nanos = (v: unknown) => (v as CelTimestamp | CelDuration).nanos;
  if (op === "+" && left === ts && right === dur) return (a, b) => timestamp(nanos(a) + nanos(b), position);
  if (op === "+" && left === dur && right === ts) return (a, b) => timestamp(nanos(a) + nanos(b), position);
  if (op === "-" && left === ts && right === dur) return (a, b) => timestamp(nanos(a) - nanos(b), position);
  if (op === "-" && left === ts && right === ts) return (a, b) => duration(nanos(a) - nanos(b), position);
  if (left === dur && right === dur) {
    if (op === "+") return (a, b) => duration(nanos(a) + nanos(b), position);
    if (op === "-") return (a, b) => duration(nanos(a) - nanos(b), position);
  }
  return undefined;
}

/** A binary operator on operands only known at run time (dyn): dispatch on their values. */
export function dynamicArithmetic(op: string, position: number): Binary {
  return (a, b) => {
    const f = arithmetic(op, runtimeType(a), runtimeType(b), position);
    if (f === undefined) throw new ConditionEvalError(`no such overload: ${typeName(a)} ${op} ${typeName(b)}`, position);
    return f(a, b);
  };
}

function runtimeType(v: unknown): string {
  if (v instanceof CelTimestamp) return ts;
  if (v instanceof CelDuration) return dur;
  return typeName(v);
}

export function convert(to: string, from: string, position: number): (v: unknown) => unknown {
  const fail = (message: string): never => {
    throw new ConditionEvalError(message, position);
  };
  switch (to) {
    case "int":
      if (from === "double")
        return (v) =>
          Number.isFinite(v) && (v as number) > -9.223372036854776e18 && (v as number) < 9.223372036854776e18
            ? BigInt(Math.trunc(v as number))
            : fail("int out of range");
      if (from === "string") return (v) => checkedInt(parseInteger(v as string, position), position);
      if (from === ts)
        return (v) => (v as CelTimestamp).nanos / 1_000_000_000n - ((v as CelTimestamp).nanos % 1_000_000_000n < 0n ? 1n : 0n);
      return (v) => checkedInt(v as bigint, position);
    case "uint":
      if (from === "double")
        return (v) =>
          Number.isFinite(v) && (v as number) > -1 && (v as number) < 1.8446744073709552e19
            ? BigInt(Math.trunc(v as number))
            : fail("uint out of range");
      if (from === "string") return (v) => checkedUint(parseInteger(v as string, position), position);
      return (v) => checkedUint(v as bigint, position);
    case "double":
      if (from === "string") return (v) => parseDouble(v as string, position);
      if (from === "double") return (v) => v;
      return (v) => Number(v as bigint);
    case "string":
      if (from === "bytes") return (v) => decodeUtf8(v as Uint8Array, position);
      if (from === "double") return (v) => String(v);
      return (v) => String(v);
    default:
      return (v) => v;
  }
}

function parseInteger(s: string, position: number): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw new ConditionEvalError(`cannot convert "${s.slice(0, 40)}" to an integer`, position);
  return BigInt(s);
}

function parseDouble(s: string, position: number): number {
  const trimmed = s.trim();
  if (trimmed === "" || trimmed !== s) throw new ConditionEvalError(`cannot convert "${s.slice(0, 40)}" to a double`, position);
  const n = Number(s);
  if (Number.isNaN(n) && s !== "NaN") throw new ConditionEvalError(`cannot convert "${s.slice(0, 40)}" to a double`, position);
  return n;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Uint8Array, position: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ConditionEvalError("bytes are not valid UTF-8", position);
  }
}

/** size() of a string (code points), bytes, list or map. */
export function sizeOf(v: unknown, position: number): bigint {
  if (typeof v === "string") return BigInt(codePoints(v));
  if (Array.isArray(v) || v instanceof Uint8Array) return BigInt(v.length);
  if (isCelMap(v)) return BigInt(v.size);
  throw new ConditionEvalError(`size() of ${typeName(v)}`, position);
}

export const stringMethods: Record<string, (s: string, arg: string) => unknown> = {
  contains: (s, a) => s.includes(a),
  startsWith: (s, a) => s.startsWith(a),
  endsWith: (s, a) => s.endsWith(a),
  lowerAscii: (s) => s.replace(/[A-Z]+/g, (c) => c.toLowerCase()),
  upperAscii: (s) => s.replace(/[a-z]+/g, (c) => c.toUpperCase()),
};

/** RFC 3339, as CEL's timestamp() reads it. */
export function parseTimestamp(s: string, position: number): CelTimestamp {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  if (m === null) throw new ConditionEvalError(`timestamp "${s.slice(0, 40)}" is not RFC 3339`, position);
  const [, y, mo, d, h, mi, sec, frac = "", zone = "Z"] = m;
  const millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  let seconds = BigInt(millis / 1000);
  if (zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1n : 1n;
    seconds -= sign * (BigInt(zone.slice(1, 3)) * 3600n + BigInt(zone.slice(4, 6)) * 60n);
  }
  return timestamp(seconds * 1_000_000_000n + BigInt(frac.padEnd(9, "0")), position);
}

const units: Record<string, bigint> = { h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

/** Go's duration syntax, as CEL's duration() reads it: "1h30m", "1.5s", "-300ms". */
export function parseDuration(s: string, position: number): CelDuration {
  const m = /^([+-]?)((?:\d+(?:\.\d+)?(?:h|ms|us|ns|m|s))+|0)$/.exec(s);
  if (m === null) throw new ConditionEvalError(`duration "${s.slice(0, 40)}" is not valid (e.g. "1h30m", "90s")`, position);
  let total = 0n;
  for (const [, whole = "0", frac = "", unit = "s"] of (m[2] as string).matchAll(/(\d+)(?:\.(\d+))?(h|ms|us|ns|m|s)/g)) {
    const scale = units[unit] as bigint;
    total += BigInt(whole) * scale + (BigInt(frac.padEnd(18, "0").slice(0, 18)) * scale) / 10n ** 18n;
  }
  return duration(m[1] === "-" ? -total : total, position);
}
