import { InputError } from "../check/image.js";
import { printable } from "../escape.js";

/** A place in a test file; line and column are 1-based. */
export interface Where {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** "file:line:col" */
export function formatWhere({ file, line, column }: Where): string {
  return `${file}:${line}:${column}`;
}

/**
 * A test file (or the input it runs against) that cannot be used: exit 2,
 * one line naming where and how to fix it. An InputError, so the CLI reports
 * it the way it reports every other unusable input.
 */
export class TestFileError extends InputError {
  override name = "TestFileError";
  constructor(
    readonly where: Where,
    readonly problem: string,
  ) {
    super(printable(`${formatWhere(where)}: ${problem}`));
  }
}

/** The name in `names` closest to `wanted` by edit distance, when it is close enough to be a likely typo. */
export function closest(wanted: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = wanted.toLowerCase();
  for (const name of names) {
    const distance = editDistance(lower, name.toLowerCase(), bestDistance);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(wanted.length / 3)) ? best : undefined;
}

/** Levenshtein distance, giving up (returning `limit`) once every path is at least `limit`. Linear memory. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowBest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      if (value < rowBest) rowBest = value;
    }
    if (rowBest >= limit) return limit;
    previous = current;
  }
  return previous[b.length] ?? limit;
}
