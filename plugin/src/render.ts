/**
 * The one way untrusted text reaches each output format of `check` and
 * `report`: anything read from a proto (names, reasons, roles, scopes, kinds,
 * bindings, relations, file paths, option values), an acknowledgements file
 * or a TypeScript project. One function per format (GitHub has two places in
 * a command, each with its own); every emitter renders each such string
 * through it and never by hand, so no input can start a line, a CI command,
 * an HTML tag or a link, or rewrite what a terminal shows.
 */
import { printable } from "./escape.js";

/** Plain text (check's text format, messages on stderr): stays on its line, with nothing a terminal obeys. */
export function textField(text: string): string {
  return printable(text);
}

/**
 * A GitHub workflow command's message. The runner decodes %0A into a line
 * break, so '%' is escaped; no raw line break or control survives printable().
 */
export function githubMessage(text: string): string {
  return printable(text).replaceAll("%", "%25");
}

/** A GitHub workflow command's property value (file, title): ':' and ',' would end it. */
export function githubProperty(text: string): string {
  return githubMessage(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/**
 * A JSON document, indented. JSON.parse gives back every string exactly;
 * what JSON.stringify leaves raw but a reader would not see (U+2028, bidi
 * controls, C1 controls) is written as a `\uXXXX` escape. Every raw line
 * break is the indentation's: JSON.stringify escapes those inside strings.
 */
export function jsonDocument(value: unknown): string {
  return JSON.stringify(value, null, 2).split("\n").map(printable).join("\n");
}

/**
 * Markdown (GitHub-flavoured, table cells included): a code span, in which
 * nothing is HTML, a link or emphasis; printable, so on one line; its fence
 * longer than any backtick run inside, and every `|` escaped so it cannot end
 * a table cell. Empty text renders as nothing.
 */
export function markdownField(text: string): string {
  if (text === "") return "";
  const shown = printable(text);
  const fence = "`".repeat(Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  // A code span drops one space at each end, and needs one next to a backtick at its edge.
  const pad = /^[` ]|[` ]$/.test(shown) && !/^ +$/.test(shown) ? " " : "";
  return `${fence}${pad}${shown.replaceAll("|", "\\|")}${pad}${fence}`;
}
