const decimal = /^-?[0-9]{1,20}$/;

/**
 * A field value as the string a principal attribute (or engine id) is
 * compared to. Empty strings and zero count as unset: proto3 cannot tell them
 * apart from a field the caller never wrote. An integer compares by value, in
 * canonical decimal, whatever its representation (number, bigint, or the
 * string of `[jstype = JS_STRING]`); anything that is not the field's type is
 * unset.
 */
export function canonicalValue(raw: unknown, integer: boolean): string | undefined {
  if (!integer) return typeof raw === "string" && raw !== "" ? raw : undefined;
  let value: bigint;
  if (typeof raw === "bigint") value = raw;
  else if (typeof raw === "number" && Number.isSafeInteger(raw)) value = BigInt(raw);
  else if (typeof raw === "string" && decimal.test(raw)) value = BigInt(raw);
  else return undefined;
  return value === 0n ? undefined : value.toString();
}
