import { type ConfigProblem, configProblem } from "../errors.js";
import type { RelationUse } from "../relations.js";
import { isObjectType } from "./object-id.js";
import type { SpiceDBSchema } from "./schema.js";
import { type SubjectMappings, subjectTypeOf, subjectTypeProblem } from "./subject.js";

/**
 * What the schema lacks for the relations the tables use: a resource type, a
 * permission, or a subject for a principal kind that can reach the check.
 * For a rule that admits any kind, the guard lists the vocabulary's kinds:
 * each one the schema can never hold is reported too, since a caller of that
 * kind would pass the static checks and then be refused by the engine.
 */
export function validateUses(schema: SpiceDBSchema, uses: readonly RelationUse[], subjects: SubjectMappings | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const use of uses) {
    const relation = `relation ${use.resourceType}#${use.permission}`;
    const add = (problem: string, fix: string) => problems.push(configProblem(use.procedure, `${relation}: ${problem}`, fix));
    if (!schema.hasType(use.resourceType)) {
      add(`the SpiceDB schema has no definition "${use.resourceType}"`, "add it, or fix the rule");
      continue;
    }
    if (!schema.hasPermission(use.resourceType, use.permission)) {
      add(`definition "${use.resourceType}" has no permission or relation "${use.permission}"`, "add it to the schema, or fix the rule");
      continue;
    }
    const reachable = schema.subjectTypes(use.resourceType, use.permission);
    // An any-kind rule is fixed by naming the kinds that can hold it; an explicit list by dropping the kind.
    const which = use.anyKind === true ? "the rule admits any kind, and vocabulary kind" : "principal kind";
    const fix = use.anyKind === true ? "list the kinds that can hold it in the rule's principals" : "drop the kind from the rule";
    for (const kind of use.principals) {
      const subjectType = subjectTypeOf(kind, subjects);
      if (subjectType === undefined) {
        add(`${which} "${kind}" has no SpiceDB subject`, `add it to the checker's subjects, or ${fix}`);
        continue;
      }
      const [objectType = "", relation = ""] = subjectType.split("#");
      const missing = subjectTypeProblem(schema, objectType, relation);
      if (missing !== undefined) {
        // A name outside the grammar can never be a definition: only a mapping helps.
        const remedy = isObjectType(objectType)
          ? "add it to the schema, map the kind in subjects"
          : "map the kind in subjects to a valid type";
        add(`${which} "${kind}" can never hold it: ${missing}`, `${remedy}, or ${fix}`);
      } else if (reachable !== undefined && !reachable.has(subjectType)) {
        const known = [...reachable].sort().join(", ") || "none";
        add(`${which} "${kind}" (subject type ${subjectType}) can never hold it; subject types that can: ${known}`, fix);
      }
    }
  }
  return problems;
}
