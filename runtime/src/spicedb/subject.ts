import type { Principal } from "../principal.js";
import { isObjectId, isObjectType } from "./object-id.js";
import type { SpiceDBSchema } from "./schema.js";

/** How callers of one principal kind appear as SpiceDB subjects. */
export interface SubjectMapping {
  /** SpiceDB object type of the subject, e.g. "user". */
  readonly objectType: string;
  /** Subject relation, e.g. "member" for `group:<id>#member`. */
  readonly optionalRelation?: string;
  /** The subject's object id; defaults to `principal.subject`. */
  readonly objectId?: (principal: Principal) => string;
}

/** Principal kind -> subject. Kinds left out never hold a relation. */
export type SubjectMappings = Readonly<Record<string, SubjectMapping>>;

export interface Subject {
  readonly objectType: string;
  readonly objectId: string;
  readonly optionalRelation: string;
}

/** The subject type of a kind as `subjectTypes` spells it, or undefined when the kind is not mapped. */
export function subjectTypeOf(kind: string, mappings: SubjectMappings | undefined): string | undefined {
  if (mappings === undefined) return kind;
  if (!Object.hasOwn(mappings, kind)) return undefined;
  const mapping = mappings[kind] as SubjectMapping;
  return mapping.optionalRelation ? `${mapping.objectType}#${mapping.optionalRelation}` : mapping.objectType;
}

/**
 * The SpiceDB subject for a caller: `<kind>:<subject>` unless mapped. Returns
 * undefined when the kind is not mapped or the id cannot exist in SpiceDB.
 */
export function subjectOf(principal: Principal, mappings: SubjectMappings | undefined): Subject | undefined {
  let subject: Subject;
  if (mappings === undefined) {
    subject = { objectType: principal.kind, objectId: principal.subject, optionalRelation: "" };
  } else {
    if (!Object.hasOwn(mappings, principal.kind)) return undefined;
    const mapping = mappings[principal.kind] as SubjectMapping;
    subject = {
      objectType: mapping.objectType,
      objectId: mapping.objectId ? mapping.objectId(principal) : principal.subject,
      optionalRelation: mapping.optionalRelation ?? "",
    };
  }
  return typeof subject.objectId === "string" && isObjectId(subject.objectId) ? subject : undefined;
}

/**
 * Why no subject of this type can exist in the schema (SpiceDB refuses to
 * check one), or undefined when one can: the type is not a definition (or
 * not a type name at all), or its subject relation is not one of its members.
 */
export function subjectTypeProblem(schema: SpiceDBSchema, objectType: string, optionalRelation: string): string | undefined {
  if (!schema.hasType(objectType)) {
    return isObjectType(objectType)
      ? `the SpiceDB schema has no definition ${shown(objectType)}`
      : `${shown(objectType)} is not a valid SpiceDB object type name`;
  }
  if (optionalRelation !== "" && !schema.hasPermission(objectType, optionalRelation)) {
    return `definition ${shown(objectType)} has no relation ${shown(optionalRelation)}`;
  }
  return undefined;
}

/** A name from a principal, quoted and cut short for a message. */
function shown(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}
