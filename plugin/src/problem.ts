import { printable } from "./escape.js";
import { formatLocation, type Location } from "./location.js";

/** One thing wrong, where it is written, and on which element (file, message, service or RPC). */
export interface Problem extends Location {
  /** "pkg.Service.Method", "pkg.Service" for its default_rule, a message's or a file's name. */
  readonly element: string;
  /** What is wrong, then how to fix it in parentheses. */
  readonly message: string;
}

/** `path/file.proto:LINE:COL: pkg.Service.Method: what is wrong (how to fix)` */
export function formatProblem(problem: Problem): string {
  return printable(`${formatLocation(problem)}: ${problem.element}: ${problem.message}`);
}
