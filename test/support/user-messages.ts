// The messages runtime/src and plugin/src throw or report, found in their
// source text, for the check that each has an entry in docs/troubleshooting.md.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./request.js";

/** Every .ts file below a folder of the repository, generated code left out. */
export function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(join(repoRoot, d), { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "gen") walk(path);
      } else if (entry.name.endsWith(".ts")) found.push(path);
    }
  };
  walk(dir);
  return found;
}

/** Lowercase, one space, no backticks or table escapes: how a message is compared with the page. */
export const normalized = (text: string) => text.replace(/`/g, "").replace(/\\\|/g, "|").replace(/\s+/g, " ").toLowerCase();

/**
 * The messages the sources throw or report, each as its first words up to the
 * first interpolation-free run of three words or more: an error constructor's
 * literal, `fail(…)`, `refuse(…)`, a bare `add(…)` (not a method such as `into.add`), `problems.push(…)`, `notes.add(…)`,
 * or a `problem:` / `message:` property.
 */
export function userMessages(source: string): string[] {
  const call =
    /(?:(?:new \w*(?:Error|Failed)|\bfail|\brefuse|(?<!\.)\badd|problems\.push|notes\.add)\(\s*|\b(?:problem|message):\s*)([`"'])((?:\\.|(?!\1)[^\\])*)\1/g;
  const messages: string[] = [];
  for (const match of source.matchAll(call)) messages.push(...firstWords(match[2] ?? ""));
  // configError(where, problem, fix) / configProblem(where, problem, fix): the problem and the fix are printed.
  for (const start of source.matchAll(/\bconfig(?:Error|Problem)\(/g)) {
    const literals = [...argumentsText(source, (start.index ?? 0) + start[0].length).matchAll(/([`"'])((?:\\.|(?!\1)[^\\])*)\1/g)];
    for (const literal of literals.slice(1)) messages.push(...firstWords(literal[2] ?? ""));
  }
  return messages;
}

/** A literal's longest run of three words or more without interpolation, as its first six words (none when it has no such run). */
function firstWords(literal: string): string[] {
  const pieces = literal
    .split(/\$\{(?:[^{}]|\{[^}]*\})*\}/)
    // A nested template (`${xs.map((x) => `${x}`)}`) is not split above: cut what is left at its "${".
    .map((p) =>
      (p.split("${")[0] ?? "")
        .replace(/\\n/g, " ")
        .replace(/\\(["'`\\])/g, "$1")
        .trim(),
    )
    .filter((p) => p.split(/\s+/).length >= 3);
  const longest = pieces.sort((a, b) => b.length - a.length)[0];
  if (longest === undefined) return [];
  return [
    normalized(longest)
      .replace(/^[^a-z0-9"]+|[^a-z0-9")]+$/g, "")
      .split(" ")
      .slice(0, 6)
      .join(" "),
  ];
}

/** The text of a call's arguments, from after its "(" to the matching ")", strings skipped. */
function argumentsText(source: string, from: number): string {
  let depth = 1;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === "`") {
      const end = new RegExp(`^${c}(?:\\\\.|[^\\\\${c}])*${c}`).exec(source.slice(i));
      i += (end?.[0].length ?? 1) - 1;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return source.slice(from, i);
  }
  return source.slice(from);
}
