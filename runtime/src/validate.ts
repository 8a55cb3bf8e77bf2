import type { DescMessage } from "@bufbuild/protobuf";
import { resolveFieldPath } from "./field-path.js";
import type { Rule } from "./rule.js";

/** One thing wrong with a rule: what, and how to fix it. */
export interface RuleProblem {
  readonly problem: string;
  readonly fix: string;
}

/**
 * A closed set of names a rule may use. A dimension left undefined is open:
 * any non-empty name is accepted there.
 */
export interface Vocabulary {
  readonly principals?: readonly string[];
  readonly roles?: readonly string[];
  readonly scopes?: readonly string[];
}

/**
 * Checks one rule against the request message of its method. The plugin runs
 * this at generation time and the guard again at creation, so a rule written in
 * code is held to exactly the standard of a generated one.
 */
export function validateRule(rule: Rule<unknown>, request: DescMessage, vocabulary: Vocabulary = {}): RuleProblem[] {
  switch (rule.access) {
    case "public":
    case "deny":
      return rule.reason.trim() === ""
        ? [{ problem: `${rule.access} rule has an empty reason`, fix: `say why, e.g. ${rule.access}: { reason: "…" }` }]
        : [];
    case "authenticated":
      return [
        ...validateNames("principal", rule.principals ?? [], vocabulary.principals),
        ...validateNames("scope", rule.scopes ?? [], vocabulary.scopes),
        ...validateNames("role", rule.roles ?? [], vocabulary.roles),
        ...validateBindings(rule.bindings ?? [], request),
      ];
    default:
      return [
        {
          problem: `access "${String((rule as { access: unknown }).access)}" is not known`,
          fix: "set exactly one of public, authenticated or deny",
        },
      ];
  }
}

function validateNames(what: string, names: readonly string[], allowed: readonly string[] | undefined): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (name.trim() === "" || name !== name.trim()) {
      problems.push({ problem: `${what} "${name}" is empty or padded with spaces`, fix: `remove it or write the ${what} name` });
    } else if (seen.has(name)) {
      problems.push({ problem: `${what} "${name}" is listed twice`, fix: "list it once" });
    } else if (allowed !== undefined && !allowed.includes(name)) {
      problems.push({
        problem: `${what} "${name}" is not in the declared vocabulary`,
        fix: `use one of ${allowed.map((a) => `"${a}"`).join(", ")}, or add it to the ${what}s option`,
      });
    }
    seen.add(name);
  }
  return problems;
}

function validateBindings(bindings: readonly { field: string; attribute: string }[], request: DescMessage): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  for (const { field, attribute } of bindings) {
    const resolved = resolveFieldPath(request, field);
    if (!resolved.ok) problems.push({ problem: resolved.problem, fix: resolved.fix });
    if (attribute.trim() === "") {
      problems.push({
        problem: `binding of "${field}" has an empty attribute`,
        fix: 'name the principal attribute it must equal, e.g. attribute: "sandbox_id"',
      });
    }
    const key = `${field}\u0000${attribute}`;
    if (seen.has(key)) problems.push({ problem: `binding of "${field}" to "${attribute}" is listed twice`, fix: "list it once" });
    seen.add(key);
  }
  return problems;
}
