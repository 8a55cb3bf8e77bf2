/**
 * The one way text from the input (file paths, names, reasons, options)
 * reaches generated code. Every emitter builds string literals, property
 * keys and comments through these functions and nowhere else, so no input can
 * end a literal or a comment early, or hide code from a reader.
 */

/**
 * Characters that are invisible, end a line, or reorder what a reader sees:
 * C0/C1 controls, line and paragraph separators, bidi embeddings, overrides
 * and isolates, zero-width marks, BOM, and lone surrogates.
 */
const unprintable =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const hex = (char: string) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;

/** The text with every unprintable character written as a visible `\uXXXX`. */
export function printable(text: string): string {
  // Nearly all input is plain ASCII: skip the full scan for it.
  return plainAscii.test(text) ? text : text.replace(unprintable, hex);
}

const plainAscii = /^[\x20-\x7e]*$/;

/** A double-quoted TypeScript string literal holding exactly `value`. */
export function stringLiteral(value: string): string {
  // JSON escapes quotes, backslashes, C0 controls and lone surrogates;
  // printable() then spells out the rest (U+2028/2029, bidi controls, …).
  return printable(JSON.stringify(value));
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether `name` can be written bare, as `.name` or as a key. */
export function isIdentifier(name: string): boolean {
  return identifier.test(name);
}

/**
 * An object-literal key for `name`. Identifiers stay bare; anything else is
 * quoted. `__proto__` becomes the computed key `["__proto__"]`, the one form
 * that defines an own property instead of setting the prototype.
 */
export function propertyKey(name: string): string {
  if (name === "__proto__") return `[${stringLiteral(name)}]`;
  return isIdentifier(name) ? name : stringLiteral(name);
}

/** Text safe inside any comment: printable, and never `*​/` or `/*`. */
export function commentText(text: string): string {
  // Printable ASCII without a "*" can neither close nor open a comment: nearly all input.
  if (plainAscii.test(text) && !text.includes("*")) return text;
  return printable(text).replaceAll("*/", "*\\/").replaceAll("/*", "/\\*");
}

/** One `// …` line; the text cannot start a new line. */
export function lineComment(text: string): string {
  return `// ${commentText(text)}`;
}

/** A JSDoc block of the given lines (each may hold "\n"), indented by `indent`. */
export function jsDoc(text: string, indent = ""): string {
  // One line per RPC is the common case: no arrays to build.
  if (!text.includes("\n") && text !== "") return `${indent}/**\n${indent} * ${commentText(text)}\n${indent} */`;
  const lines = text.split("\n").map((line) => commentText(line));
  return [`${indent}/**`, ...lines.map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`].join("\n");
}
