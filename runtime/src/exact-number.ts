/**
 * How a number becomes the string a principal attribute holds: its exact
 * decimal value, never a double's rounding of it. One rule for every place
 * that turns a number into an attribute.
 */

/** Longest canonical form kept: a number whose exact value needs more characters is left out. */
export const maxNumberText = 80;

const numberLiteral = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/** A literal's value as sign, significant digits and where the point falls in them; zero has no digits. */
interface Decimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly point: number;
}

function decimalOf(literal: string): Decimal | undefined {
  const parts = numberLiteral.exec(literal);
  if (parts === null) return undefined;
  const [, sign, whole = "", fraction = "", exponent = "0"] = parts;
  const all = whole + fraction;
  let start = 0;
  while (start < all.length && all.charCodeAt(start) === 48) start++;
  let end = all.length;
  while (end > start && all.charCodeAt(end - 1) === 48) end--;
  if (start === end) return { negative: false, digits: "", point: 0 };
  // Past 2^53 the exponent is meaningless anyway (the value is far beyond any limit here).
  const shift = Math.max(-(2 ** 53), Math.min(2 ** 53, Number(exponent)));
  return { negative: sign === "-", digits: all.slice(start, end), point: whole.length + shift - start };
}

/**
 * The exact value of a number literal (JSON's grammar, or what `String(n)`
 * writes for a finite number) in canonical plain notation: no exponent, no
 * leading zeros, no trailing zeros after the point, no point without a
 * fraction, "-" only before a non-zero value. For an integer this is the
 * decimal a binding compares an int64 field by (see canonicalValue).
 * Undefined for what is not such a literal and for a value whose canonical
 * form exceeds maxNumberText characters (the cost stays bounded by the input,
 * whatever its exponent).
 */
export function exactDecimal(literal: string): string | undefined {
  const value = decimalOf(literal);
  if (value === undefined) return undefined;
  const { digits, point } = value;
  if (digits === "") return "0";
  const sign = value.negative ? "-" : "";
  const length = sign.length + (point <= 0 ? 2 - point + digits.length : point >= digits.length ? point : digits.length + 1);
  if (length > maxNumberText) return undefined;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Whether the number JavaScript reads from the literal writes back (String)
 * as the same value: `1e300` and `0.1` do; `9007199254740993` (rounded),
 * `0.1000000000000000000001` (rounded) and `251286952164939776` (held
 * exactly, but written as …780) do not. Only a number that does may be turned
 * into a string by String().
 */
export function writesBackExactly(literal: string): boolean {
  const written = decimalOf(literal);
  const read = decimalOf(String(Number(literal)));
  return (
    written !== undefined &&
    read !== undefined &&
    written.negative === read.negative &&
    written.digits === read.digits &&
    written.point === read.point
  );
}
