import type { JWTPayload } from "jose";
import { AuthenticationError } from "../errors.js";
import { exactDecimal } from "../exact-number.js";
import type { Principal } from "../principal.js";
import { exactClaims } from "./exact-claims.js";

/**
 * Where a claim lives. A string names a top-level claim if the token has one
 * by that exact name (so `"https://example.com/roles"`, Auth0's namespaced
 * claims, works as written), else it is a dotted path into nested objects
 * (`"realm_access.roles"`, `"resource_access.my-app.roles"`). `{ path: [...] }`
 * gives the segments explicitly (`{ path: ["kubernetes.io", "namespace"] }`).
 */
export type ClaimPath = string | { readonly path: readonly string[] };

/**
 * How verified claims become a principal.
 *
 * Options (each documented on its field): `kind`, `rolesClaim`, `scopesClaim`,
 * `attributes`, `allowedSubjects`, `map`. A configured claim that is missing
 * or has the wrong type, and a role or scope outside the vocabulary, are left
 * out of the principal and reported: in `principal.warnings` (which the guard
 * copies into the audit event's `detail`) and once per process as a
 * console warning.
 */
export interface ClaimMapping<K extends string = string> {
  /** A fixed kind for every token of this authenticator, or the claim holding it. */
  readonly kind: K | { readonly claim: ClaimPath; readonly allowed: readonly K[] };
  /**
   * Claim(s) holding roles: arrays of strings or space-separated strings. Several
   * claims are merged, e.g. Keycloak's realm and client roles.
   */
  readonly rolesClaim?: ClaimPath | readonly ClaimPath[];
  /**
   * Claim holding scopes (array or space-separated string), e.g. Auth0's
   * `"permissions"`. Default: `scope`, else `scp` (Entra ID).
   */
  readonly scopesClaim?: ClaimPath;
  /**
   * Principal attribute -> claim, e.g. { sandbox_id: "sandbox_id" }. Strings as
   * they are; booleans as `true`/`false`; numbers as the exact value the token
   * writes, in plain decimal (`9007199254740993`, `1.5`, `1e3` as `1000`), never
   * rounded through a double; anything else (and a number whose exact form
   * exceeds 80 characters) is reported and left out.
   */
  readonly attributes?: Readonly<Record<string, ClaimPath>>;
  /** When set, only these subjects are accepted. */
  readonly allowedSubjects?: readonly string[];
  /**
   * Escape hatch, run after the mapping above: returns the principal to use
   * (e.g. the subject from another claim). Its result is shape-checked, its
   * kind must be one the mapping allows, and the vocabulary still applies.
   * In the claims it receives, a number JavaScript would round or write with
   * other digits (past 2^53, more digits than a double keeps) is the string
   * of its exact value, so `String(claims.tenant)` never names a neighbouring id.
   */
  readonly map?: (claims: JWTPayload, mapped: Principal<K>) => Principal<K>;
}

/**
 * The names rules can use. Roles and scopes outside it are dropped from the
 * principal (no rule can require them), which types the principal with the
 * generated vocabulary: pass the registry's `authzVocabulary`.
 */
export interface PrincipalVocabulary<R extends string, S extends string> {
  readonly roles?: readonly R[];
  readonly scopes?: readonly S[];
}

const nameOf = (claim: ClaimPath) => (typeof claim === "string" ? claim : claim.path.join("."));

/** The claim's value, or undefined when any step is missing or not an object. */
export function readClaim(payload: JWTPayload, claim: ClaimPath): unknown {
  if (typeof claim === "string" && Object.hasOwn(payload, claim)) return payload[claim];
  const path = typeof claim === "string" ? claim.split(".") : claim.path;
  let value: unknown = payload;
  for (const segment of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Collects what the mapping could not use; never silent. */
class Notes {
  /** Made on the first note: a clean token allocates none. */
  list: string[] | undefined;
  add(message: string) {
    this.list ??= [];
    if (this.list.length < 16) this.list.push(message);
    warnOnce(message);
  }
}

const warned = new Set<string>();
function warnOnce(message: string) {
  if (warned.has(message) || warned.size >= 1024) return;
  warned.add(message);
  console.warn(`protoauthz/jwt: ${message}`);
}

/** A token-supplied name, safe to put in a log line. */
const quote = (name: string) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);

function stringList(payload: JWTPayload, claim: ClaimPath, what: string, notes: Notes): string[] {
  const raw = readClaim(payload, claim);
  if (typeof raw === "string") {
    const names = raw.split(" ");
    return names.includes("") ? names.filter((s) => s !== "") : names;
  }
  if (Array.isArray(raw) && raw.every((s) => typeof s === "string")) return raw.filter((s) => s !== "");
  notes.add(`${what} claim "${nameOf(claim)}" is ${raw === undefined ? "missing" : "neither a string nor an array of strings"}`);
  return [];
}

function scopesOf(payload: JWTPayload, mapping: Pick<ClaimMapping, "scopesClaim">, notes: Notes): string[] {
  if (mapping.scopesClaim !== undefined) return stringList(payload, mapping.scopesClaim, "scopes", notes);
  if (payload.scope !== undefined) return stringList(payload, "scope", "scopes", notes);
  if (payload.scp !== undefined) return stringList(payload, "scp", "scopes", notes);
  return [];
}

function rolesOf(payload: JWTPayload, claims: readonly ClaimPath[], notes: Notes): string[] {
  const roles =
    claims.length === 1
      ? stringList(payload, claims[0] as ClaimPath, "roles", notes)
      : claims.flatMap((claim) => stringList(payload, claim, "roles", notes));
  return roles.length < 2 ? roles : [...new Set(roles)];
}

const isPathList = (value: ClaimPath | readonly ClaimPath[]): value is readonly ClaimPath[] => Array.isArray(value);

/**
 * A claim as an attribute. Numbers come here only as doubles that write back
 * as the token's value (the others were read from the text as strings), so
 * String() loses nothing; exactDecimal writes it without an exponent.
 */
function attributeValue(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return exactDecimal(String(value));
  if (typeof value === "boolean") return String(value);
  return undefined;
}

/** Why a claim gives no attribute, for the warning: `exact` as read exactly, `parsed` as JSON.parse read it. */
function unusable(exact: unknown, parsed: unknown): string {
  if (parsed === undefined) return "missing";
  if (typeof parsed === "number") return "a number too long to keep exactly (more than 80 characters)";
  return exact === "" ? "an empty string" : "not a string, number or boolean";
}

function within<T extends string>(names: readonly string[], allowed: readonly T[] | undefined, what: string, notes: Notes): T[] {
  if (allowed === undefined) return names as T[];
  const kept = names.filter((n) => (allowed as readonly string[]).includes(n));
  for (const dropped of names.filter((n) => !kept.includes(n))) notes.add(`${what} ${quote(dropped)} is not in the vocabulary; dropped`);
  return kept as T[];
}

/**
 * Prepares a mapping once: the returned function turns verified claims into a
 * frozen principal (shared by every call with the same token through the
 * cache), or throws AuthenticationError.
 */
export function claimMapper<K extends string, R extends string, S extends string>(
  mapping: ClaimMapping<K>,
  vocabulary: PrincipalVocabulary<R, S> = {},
): (payload: JWTPayload, payloadText: string) => Principal<K, R, S> {
  const fixedKind = typeof mapping.kind === "string" ? mapping.kind : undefined;
  const allowedKinds: readonly string[] = typeof mapping.kind === "string" ? [mapping.kind] : mapping.kind.allowed;
  const attributeClaims = Object.entries(mapping.attributes ?? {});
  const roleClaims = mapping.rolesClaim === undefined ? [] : isPathList(mapping.rolesClaim) ? mapping.rolesClaim : [mapping.rolesClaim];

  const kindOf = (payload: JWTPayload): K => {
    if (fixedKind !== undefined) return fixedKind;
    const claim = (mapping.kind as { readonly claim: ClaimPath }).claim;
    const claimed = readClaim(payload, claim);
    if (typeof claimed !== "string" || !allowedKinds.includes(claimed)) {
      throw new AuthenticationError(`claim "${nameOf(claim)}" is not one of the allowed kinds`);
    }
    return claimed as K;
  };

  const frozen = (mapped: Principal<K>, attributes: Record<string, string>, notes: Notes): Principal<K, R, S> => {
    const scopes = frozenNames(within(mapped.scopes, vocabulary.scopes, "scope", notes));
    const roles = frozenNames(within(mapped.roles, vocabulary.roles, "role", notes));
    const { kind, subject } = mapped;
    return Object.freeze(
      notes.list === undefined
        ? { kind, subject, scopes, roles, attributes: Object.freeze(attributes) }
        : { kind, subject, scopes, roles, attributes: Object.freeze(attributes), warnings: Object.freeze(notes.list) },
    );
  };

  return (payload, payloadText) => {
    const subject = payload.sub;
    if (typeof subject !== "string" || subject === "") throw new AuthenticationError("token has no subject");
    if (mapping.allowedSubjects !== undefined && !mapping.allowedSubjects.includes(subject)) {
      throw new AuthenticationError(`subject ${quote(subject)} is not in allowedSubjects`);
    }
    const kind = kindOf(payload);
    const notes = new Notes();
    // JSON.parse rounds some numbers: those are read again from the text, once, when needed.
    let exact = null as ReturnType<typeof exactClaims> | null;
    const exactOnes = () => {
      if (exact === null) exact = exactClaims(payloadText);
      return exact?.claims ?? payload;
    };
    const attributes: Record<string, string> = {};
    for (const [attribute, claim] of attributeClaims) {
      let raw = readClaim(payload, claim);
      if (typeof raw === "number") raw = readClaim(exactOnes(), claim);
      const value = attributeValue(raw);
      if (value !== undefined) attributes[attribute] = value;
      else notes.add(`attribute ${attribute}: claim "${nameOf(claim)}" is ${unusable(raw, readClaim(payload, claim))}`);
    }
    const mapped: Principal<K> = {
      kind,
      subject,
      scopes: scopesOf(payload, mapping, notes),
      roles: rolesOf(payload, roleClaims, notes),
      attributes,
    };
    if (mapping.map === undefined) return frozen(mapped, attributes, notes);
    const claims = exactOnes();
    if (exact?.dropped === true) notes.add(`a number too long to keep exactly was left out of the claims given to principal.map`);
    const custom = checkedMap(mapping.map(claims as JWTPayload, mapped), allowedKinds);
    // Copied: the escape hatch's own object is not frozen under it.
    return frozen(custom, { ...custom.attributes }, notes);
  };
}

/** One frozen empty list for every principal without roles or scopes. */
const noNames: readonly never[] = Object.freeze([]);
const frozenNames = <T extends string>(names: T[]): readonly T[] => (names.length === 0 ? noNames : Object.freeze(names));

/** The escape hatch's result, held to the principal's shape; a bad one is a server bug (Unavailable), not the caller's. */
function checkedMap<K extends string>(value: Principal<K>, allowedKinds: readonly string[]): Principal<K> {
  const names = (list: unknown) => Array.isArray(list) && list.every((n) => typeof n === "string" && n !== "");
  const p = value as Partial<Principal> | null;
  const problems = [
    typeof p !== "object" || p === null ? "not an object" : "",
    typeof p?.kind === "string" && allowedKinds.includes(p.kind) ? "" : `kind must be one of ${allowedKinds.map(quote).join(", ")}`,
    typeof p?.subject === "string" && p.subject !== "" ? "" : "subject must be a non-empty string",
    names(p?.scopes) ? "" : "scopes must be an array of non-empty strings",
    names(p?.roles) ? "" : "roles must be an array of non-empty strings",
    typeof p?.attributes === "object" && p.attributes !== null && Object.values(p.attributes).every((v) => typeof v === "string")
      ? ""
      : "attributes must map names to strings",
  ].filter((problem) => problem !== "");
  if (problems.length > 0) throw new TypeError(`principal.map returned an invalid principal: ${problems.join("; ")}`);
  return value;
}
