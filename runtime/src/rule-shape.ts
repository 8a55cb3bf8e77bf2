import type { RuleProblem } from "./validate.js";

/**
 * Checks that a rule has the shape its type promises, before anything reads
 * it as that type. Rules written in code can be cast past the compiler
 * (`roles: "admin"` would be iterated letter by letter, a misspelt `role`
 * silently dropped); every such problem is reported, none is thrown. Empty
 * names and reasons are left to validateRule, which runs only on a rule of
 * the right shape.
 */
export function checkRuleShape(rule: unknown): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (problem: string, fix: string) => problems.push({ problem, fix });
  if (!isRecord(rule)) {
    add(`the rule is ${describe(rule)}, not an object`, 'write { access: "public" | "authenticated" | "any_of" | "deny" | "audit", … }');
    return problems;
  }
  const access = rule.access;
  switch (access) {
    case "public":
    case "deny":
    case "audit":
      checkKeys(rule, ["access", "source", "reason"], `${access === "audit" ? "an" : "a"} ${access} rule`, add);
      if (typeof rule.reason !== "string") {
        add(`${access} rule: reason is ${describe(rule.reason)}, not a string`, `say why, e.g. reason: "…"`);
      }
      break;
    case "authenticated":
      checkKeys(rule, ["access", "source", ...requirementKeys], "an authenticated rule", add);
      checkRequirements(rule, "", add);
      break;
    case "any_of":
      checkKeys(rule, ["access", "source", "alternatives"], "an any_of rule", add);
      if (!Array.isArray(rule.alternatives)) {
        add(`any_of: alternatives is ${describe(rule.alternatives)}, not an array`, "list two or more requirement objects");
        break;
      }
      for (const [i, alternative] of [...rule.alternatives].entries()) {
        const label = `any_of alternative ${i + 1}`;
        if (!isRecord(alternative)) {
          add(
            `${label} is ${describe(alternative)}, not an object`,
            "write { principals, scopes, roles, bindings, relations, conditions }",
          );
          continue;
        }
        checkKeys(alternative, requirementKeys, label, add);
        checkRequirements(alternative, `${label}: `, add);
      }
      break;
    default:
      add(`access is ${describe(access)}`, 'set access to "public", "authenticated", "any_of", "deny" or "audit"');
  }
  if (rule.source !== undefined && !sources.includes(rule.source as string)) {
    add(`source is ${describe(rule.source)}`, `leave it out, or use one of ${sources.map((s) => `"${s}"`).join(", ")}`);
  }
  return problems;
}

type Add = (problem: string, fix: string) => void;

const requirementKeys = ["principals", "scopes", "roles", "bindings", "relations", "conditions"];
const sources = ["method", "service_default", "code", "undeclared"];

function checkRequirements(requirements: Record<string, unknown>, prefix: string, add: Add): void {
  for (const key of ["principals", "scopes", "roles", "conditions"]) {
    const value = requirements[key];
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      add(
        `${prefix}${key} is ${describe(value)}, not an array`,
        `write ${key}: [${typeof value === "string" ? JSON.stringify(value) : "…"}]`,
      );
      continue;
    }
    for (const [i, name] of [...value].entries()) {
      if (typeof name !== "string") add(`${prefix}${key}[${i}] is ${describe(name)}, not a string`, "list names as strings");
    }
  }
  checkObjects(requirements.bindings, `${prefix}bindings`, { field: true, attribute: true }, add);
  checkObjects(requirements.relations, `${prefix}relations`, { resourceType: true, idField: true, permission: true }, add);
}

/** An optional array of objects whose listed keys are strings, plus an optional `read` function. */
function checkObjects(value: unknown, label: string, strings: Record<string, true>, add: Add): void {
  if (value === undefined) return;
  const example = `{ ${Object.keys(strings)
    .map((k) => `${k}: "…"`)
    .join(", ")} }`;
  if (!Array.isArray(value)) {
    add(`${label} is ${describe(value)}, not an array`, `write ${label.split(": ").at(-1)}: [${example}]`);
    return;
  }
  for (const [i, item] of [...value].entries()) {
    const where = `${label}[${i}]`;
    if (!isRecord(item)) {
      add(`${where} is ${describe(item)}, not an object`, `write ${example}`);
      continue;
    }
    checkKeys(item, [...Object.keys(strings), "read"], where, add);
    for (const key of Object.keys(strings)) {
      if (typeof item[key] !== "string") add(`${where}.${key} is ${describe(item[key])}, not a string`, "give a non-empty string");
    }
    if (item.read !== undefined && typeof item.read !== "function") {
      add(`${where}.read is ${describe(item.read)}, not a function`, "leave read out; the guard derives it from the field path");
    }
  }
}

/** A key the type does not have is a misspelt restriction that would otherwise be dropped. */
function checkKeys(value: Record<string, unknown>, known: readonly string[], label: string, add: Add): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) add(`${label} has an unknown property ${JSON.stringify(key)}`, `remove it; known: ${known.join(", ")}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value === "" ? "an empty string" : `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `a ${typeof value}`;
}
