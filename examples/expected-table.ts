// What `npm run example` proves: each example prints a legend for its table,
// the decisions it observed, and one final line saying whether every decision
// matched the table the proto and the relationships call for. Any mismatch
// fails the run (exit code 1).

/** A decision table: rows by RPC, columns by caller, cells "ok" | "unauthenticated" | "denied" | another code. */
export type Table<C extends string> = Record<string, Record<C, string>>;

/** What the rows, columns and cells of a table mean. */
export interface Legend<C extends string> {
  readonly rows: string;
  readonly columns: Record<C, string>;
}

const cells = [
  ["ok", "admitted: the handler ran"],
  ["unauthenticated", "no or invalid credentials (Unauthenticated, HTTP 401)"],
  ["denied", "a known caller the rule does not allow (PermissionDenied, HTTP 403)"],
] as const;

export function formatLegend<C extends string>(legend: Legend<C>): string {
  const width = Math.max(...[...Object.keys(legend.columns), ...cells.map(([c]) => c)].map((k) => k.length));
  return [
    `rows: ${legend.rows}`,
    "columns, who calls:",
    ...Object.entries<string>(legend.columns).map(([column, meaning]) => `  ${column.padEnd(width)}  ${meaning}`),
    "cells:",
    ...cells.map(([cell, meaning]) => `  ${cell.padEnd(width)}  ${meaning}`),
  ].join("\n");
}

/** Every cell where the observed table differs from the expected one, rows and columns missing on either side included. */
export function mismatches<C extends string>(observed: Table<C>, expected: Table<C>): string[] {
  const found: string[] = [];
  for (const rpc of new Set([...Object.keys(expected), ...Object.keys(observed)])) {
    const want: Partial<Record<string, string>> = expected[rpc] ?? {};
    const got: Partial<Record<string, string>> = observed[rpc] ?? {};
    for (const caller of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (want[caller] !== got[caller])
        found.push(`${rpc} as ${caller}: expected ${want[caller] ?? "(none)"}, got ${got[caller] ?? "(none)"}`);
    }
  }
  return found;
}

/**
 * Prints the verdict line for one example and returns whether every decision
 * matched; the caller sets the exit code.
 */
export function verdict<C extends string>(example: string, observed: Table<C>, expected: Table<C>): boolean {
  const wrong = mismatches(observed, expected);
  const count = Object.values(expected).reduce((n, row) => n + Object.keys(row).length, 0);
  if (wrong.length === 0) {
    console.log(`${example}: ok, all ${count} decisions matched the expected table`);
    return true;
  }
  console.log(`${example}: FAILED, ${wrong.length} of ${count} decisions differ from the expected table:`);
  for (const line of wrong) console.log(`  ${line}`);
  return false;
}
