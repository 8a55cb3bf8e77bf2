/**
 * SpiceDB's object-id grammar (authzed.api.v1.ObjectReference.object_id),
 * without the `*` wildcard, which never names one resource or one caller.
 * An id outside it cannot exist in the engine, so the checker answers "not
 * held" without asking: no round trip, no engine error to tell it apart.
 */
const objectId = /^[a-zA-Z0-9/_|\-=+]{1,1024}$/;

export function isObjectId(id: string): boolean {
  return objectId.test(id);
}

/** SpiceDB's object-type grammar: optional "namespace/" prefixes, 3–64 characters each. */
const objectType = /^([a-z][a-z0-9_]{1,61}[a-z0-9]\/)*[a-z][a-z0-9_]{1,62}[a-z0-9]$/;

export function isObjectType(type: string): boolean {
  return objectType.test(type);
}
