import { printable } from "./escape.js";
import { formatLocation, type Location } from "./location.js";

/** One thing wrong, where it is written, and on which element (file, message, service or RPC). */
export interface Problem extends Location {
  /** "pkg.Service.Method", "pkg.Service" for its default_rule, a message's or a file's name. */
  readonly element: string;
  /** What is wrong, then how to fix it in parentheses. */
  readonly message: string;
  /** Lines shown under the message: a condition with a caret under what is wrong. */
  readonly excerpt?: string;
}

/**
 * `path/file.proto:LINE:COL: pkg.Service.Method: what is wrong (how to fix)`,
 * then the excerpt's lines, each printable on its own.
 */
export function formatProblem(problem: Problem): string {
  const head = printable(`${formatLocation(problem)}: ${problem.element}: ${problem.message}`);
  return problem.excerpt === undefined ? head : [head, ...problem.excerpt.split("\n").map(printable)].join("\n");
}
