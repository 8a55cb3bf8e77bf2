import type { JWTPayload } from "jose";
import { AuthenticationError } from "../errors.js";
import type { Principal } from "../principal.js";

/** How verified claims become a principal. */
export interface ClaimMapping<K extends string = string> {
  /** A fixed kind for every token of this authenticator, or the claim holding it. */
  readonly kind: K | { readonly claim: string; readonly allowed: readonly K[] };
  /** Claim holding roles (array of strings or a space-separated string). */
  readonly rolesClaim?: string;
  /** Principal attribute -> claim, e.g. { sandbox_id: "sandbox_id" }. String claims only. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** When set, only these subjects are accepted. */
  readonly allowedSubjects?: readonly string[];
}

/** Scopes from `scope` (space-separated, RFC 8693) or `scp` (array or string). */
function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  return stringList(raw, "scope");
}

function stringList(raw: unknown, claim: string): string[] {
  if (raw === undefined) return [];
  if (typeof raw === "string") return raw.split(" ").filter((s) => s !== "");
  if (Array.isArray(raw) && raw.every((s) => typeof s === "string")) return raw;
  throw new AuthenticationError(`claim "${claim}" is neither a string nor an array of strings`);
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

const within = <T extends string>(names: string[], allowed: readonly T[] | undefined): T[] =>
  (allowed === undefined ? names : names.filter((n) => (allowed as readonly string[]).includes(n))) as T[];

export function principalFromClaims<K extends string, R extends string, S extends string>(
  payload: JWTPayload,
  mapping: ClaimMapping<K>,
  vocabulary: PrincipalVocabulary<R, S> = {},
): Principal<K, R, S> {
  const subject = payload.sub;
  if (typeof subject !== "string" || subject === "") throw new AuthenticationError("token has no subject");
  if (mapping.allowedSubjects !== undefined && !mapping.allowedSubjects.includes(subject)) {
    throw new AuthenticationError(`subject "${subject}" is not in allowedSubjects`);
  }
  let kind: K;
  if (typeof mapping.kind === "string") {
    kind = mapping.kind;
  } else {
    const claimed = payload[mapping.kind.claim];
    if (typeof claimed !== "string" || !(mapping.kind.allowed as readonly string[]).includes(claimed)) {
      throw new AuthenticationError(`claim "${mapping.kind.claim}" is not one of the allowed kinds`);
    }
    kind = claimed as K;
  }
  const attributes: Record<string, string> = {};
  for (const [attribute, claim] of Object.entries(mapping.attributes ?? {})) {
    const value = payload[claim];
    if (typeof value === "string" && value !== "") attributes[attribute] = value;
  }
  return {
    kind,
    subject,
    scopes: within(scopesOf(payload), vocabulary.scopes),
    roles: within(mapping.rolesClaim === undefined ? [] : stringList(payload[mapping.rolesClaim], mapping.rolesClaim), vocabulary.roles),
    attributes: Object.freeze(attributes),
  };
}
