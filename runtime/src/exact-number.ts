/**
 * How a number becomes the string a principal attribute holds: its exact
 * decimal value, never a double's rounding of it. One rule for every place
 * that turns a number into an attribute.
 */

/** Longest canonical form kept: a number whose exact value needs more characters is left out. */
export const maxNumberText = 80;

const numberLiteral = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

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
  const parts = numberLiteral.exec(literal);
  if (parts === null) return undefined;
  const [, sign, whole = "", fraction = "", exponentText = "0"] = parts;
  let digits = whole + fraction;
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  let end = digits.length;
  while (end > start && digits.charCodeAt(end - 1) === 48) end--;
  if (start === end) return "0";
  // Exponents past 6 digits could only produce a form far beyond the limit.
  if (exponentText.replace(/^[+-]/, "").length > 6) return undefined;
  // Where the point falls, counted in the significant digits.
  const point = whole.length + Number(exponentText) - start;
  digits = digits.slice(start, end);
  const length = sign.length + (point <= 0 ? 2 - point + digits.length : point >= digits.length ? point : digits.length + 1);
  if (length > maxNumberText) return undefined;
  let plain: string;
  if (point <= 0) plain = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + "0".repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + plain;
}

/**
 * Whether a double holds the literal's value exactly: the number JavaScript
 * reads from it writes back as the same value (`9007199254740993`, and
 * `0.1000000000000000000001`, do not).
 */
export function doubleHolds(literal: string): boolean {
  const exact = exactDecimal(literal);
  return exact !== undefined && exact === exactDecimal(String(Number(literal)));
}
