import type { RelationNaming } from "../validate.js";

/** SpiceDB's object-type grammar: optional "namespace/" prefixes, 3–64 characters each. */
const resourceTypePattern = /^([a-z][a-z0-9_]{1,61}[a-z0-9]\/)*[a-z][a-z0-9_]{1,62}[a-z0-9]$/;
/** SpiceDB's relation and permission grammar. */
const permissionPattern = /^[a-z][a-z0-9_]{1,62}[a-z0-9]$/;

/** Resource types and permissions as SpiceDB names them: what the plugin checks, and the SpiceDB checker when the guard starts. */
export const spicedbNaming: RelationNaming = Object.freeze({
  resourceType: (name: string, label: string) =>
    resourceTypePattern.test(name)
      ? undefined
      : {
          problem: `${label}: resource type "${name}" is not a valid SpiceDB object type`,
          fix: 'use 3–64 lowercase letters, digits or underscores starting with a letter, e.g. "workspace" or "tenant/document"',
        },
  permission: (name: string, label: string) =>
    permissionPattern.test(name)
      ? undefined
      : {
          problem: `${label}: permission "${name}" is not a valid SpiceDB permission name`,
          fix: 'use 3–64 lowercase letters, digits or underscores starting with a letter, e.g. "write"',
        },
});
