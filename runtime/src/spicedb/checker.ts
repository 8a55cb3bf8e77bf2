import type { v1 } from "@authzed/authzed-node";
import { AuthzConfigError, type ConfigProblem, configError, configProblem } from "../errors.js";
import type { Principal } from "../principal.js";
import { type RelationChecker, type RelationQuery, RelationRefusal, type RelationUse } from "../relations.js";
import { type AuthzedV1, loadAuthzed } from "./authzed.js";
import { DecisionCache, type DecisionCacheOptions } from "./cache.js";
import { call, type SpiceDBClient, SpiceDBError } from "./client.js";
import { isObjectId } from "./object-id.js";
import { readSchema, SchemaReadError, type SpiceDBSchema } from "./schema.js";
import { type Subject, type SubjectMappings, subjectOf, subjectTypeProblem } from "./subject.js";
import { validateUses } from "./validate-uses.js";
import { isTokenRefusal, zedTokenProblem } from "./zedtoken.js";

/**
 * How fresh an answer must be (SpiceDB's Consistency):
 * - "minimize_latency" (default): the engine's cached snapshot, seconds old at most.
 * - "fully_consistent": the newest snapshot, at a latency cost.
 * - atLeastAsFresh: a ZedToken the caller supplies, read from its principal
 *   (e.g. an attribute the authenticator copied from a header); when it gives
 *   none, the call falls back to minimize_latency. A malformed token denies
 *   the call (audit reason `relation_token_invalid`). With a decision cache,
 *   a cached answer serves a call with a token only when it is known to be as
 *   fresh: the token is the one the answer was asked with, or the revision it
 *   was checked at. Any other token (a newer write, a revocation) is asked.
 */
export type SpiceDBConsistency =
  | "minimize_latency"
  | "fully_consistent"
  | { readonly atLeastAsFresh: (principal: Principal, procedure: string) => string | undefined };

export interface SpiceDBCheckerOptions {
  /**
   * Principal kind -> SpiceDB subject. Default: every kind is an object type
   * of the same name and the subject its id (`user:alice`). When given, kinds
   * left out hold no relation, and rules naming them fail validation.
   */
  readonly subjects?: SubjectMappings;
  readonly consistency?: SpiceDBConsistency;
  /**
   * Reuse engine answers for up to `ttlMs` (default off), never for a call
   * whose ZedToken the answer is not known to cover. Not allowed with fully_consistent.
   */
  readonly cache?: DecisionCacheOptions;
}

export interface SpiceDBChecker extends RelationChecker {
  validate(uses: readonly RelationUse[]): readonly ConfigProblem[];
}

/** Everything a checker asks with, fixed when it is created; every function below reads it. */
interface CheckerContext {
  readonly api: AuthzedV1;
  readonly client: SpiceDBClient;
  readonly schema: SpiceDBSchema;
  readonly subjects: SubjectMappings | undefined;
  /** The consistency of a call without a ZedToken. */
  readonly untokened: v1.Consistency;
  readonly freshness: ((principal: Principal, procedure: string) => string | undefined) | undefined;
  readonly cache: DecisionCache | undefined;
}

const where = "createSpiceDBChecker";
const cannotStart = "the SpiceDB checker cannot start";

/**
 * A RelationChecker on SpiceDB. Reads the engine's schema once, so that the
 * guard can validate its tables synchronously when it starts, and so that a
 * caller whose subject type the schema lacks is refused without a round trip.
 * Loads `@authzed/authzed-node` first: without it, one line says how to install it.
 */
export async function createSpiceDBChecker(client: SpiceDBClient, options: SpiceDBCheckerOptions = {}): Promise<SpiceDBChecker> {
  const consistency = options.consistency ?? "minimize_latency";
  if (options.cache !== undefined && consistency === "fully_consistent") {
    throw configError(`${where} cache`, "a decision cache contradicts fully_consistent", "drop one of them", cannotStart);
  }
  const freshness = typeof consistency === "object" && consistency !== null ? consistency.atLeastAsFresh : undefined;
  if (typeof consistency === "object" && typeof freshness !== "function") {
    throw configError(
      `${where} consistency`,
      "consistency is an object without an atLeastAsFresh function",
      'use "minimize_latency", "fully_consistent" or { atLeastAsFresh: (principal, procedure) => token }',
      cannotStart,
    );
  }
  const api = await loadAuthzed();
  const context: CheckerContext = {
    api,
    client,
    schema: await loadSchema(api, client),
    subjects: options.subjects,
    untokened: api.Consistency.create({
      requirement:
        consistency === "fully_consistent"
          ? { oneofKind: "fullyConsistent", fullyConsistent: true }
          : { oneofKind: "minimizeLatency", minimizeLatency: true },
    }),
    freshness,
    cache: options.cache === undefined ? undefined : new DecisionCache(options.cache),
  };
  return {
    validate: (uses) => validateUses(context.schema, uses, context.subjects),
    check: (principal, queries, call) => check(context, principal, queries, call),
  };
}

/**
 * Answers one call. Reads `call.signal` only on the way to the engine: the
 * guard makes the signal on first read, and a call answered from the cache
 * needs none. Not async: when every answer is cached (or no id can exist),
 * the guard gets them without a promise and decides the call synchronously.
 */
function check(
  context: CheckerContext,
  principal: Principal,
  queries: readonly RelationQuery[],
  call: { readonly procedure: string; readonly signal: AbortSignal },
): readonly boolean[] | Promise<readonly boolean[]> {
  const held: boolean[] = new Array(queries.length).fill(false);
  const subject = subjectFor(context, principal);
  if (subject === undefined) return held;
  const token = context.freshness === undefined ? undefined : tokenOf(context.freshness(principal, call.procedure));
  // Each distinct question once, in the order first asked; answers fan
  // out to every query that asked it. Made on the first miss: a call
  // answered from the cache builds no map.
  let asked: Map<string, Question> | undefined;
  for (let index = 0; index < queries.length; index++) {
    const query = queries[index] as RelationQuery;
    if (!isObjectId(query.resourceId)) continue; // cannot exist: not held, nothing asked
    const key = cacheKey(query, subject);
    // Served only when the answer is known to be as fresh as the caller's token.
    const cached = context.cache?.get(key, token);
    if (cached !== undefined) held[index] = cached;
    else if (asked?.has(key)) asked.get(key)?.indexes.push(index);
    else (asked ??= new Map()).set(key, { item: itemOf(context.api, query, subject), indexes: [index] });
  }
  if (asked === undefined) return held;
  if (token !== undefined) {
    // Checked only on the way to the engine: a cached answer covers only tokens the engine accepted.
    const problem = zedTokenProblem(token);
    if (problem !== undefined) throw new RelationRefusal("relation_token_invalid", `the caller's ZedToken is malformed: ${problem}`);
  }
  return askEngine(context, token, asked, held, call.signal).catch((error: unknown) => {
    if (token !== undefined && isTokenRefusal(error)) {
      throw new RelationRefusal("relation_token_invalid", "SpiceDB cannot read the caller's ZedToken", { cause: error });
    }
    throw error;
  });
}

/**
 * The caller's subject, or undefined when its kind is not mapped or its id
 * cannot exist. SpiceDB refuses a subject type its schema lacks: a
 * permanent "no", never worth a round trip. (Kept out of `check`: its size
 * decides how V8 compiles the cache-hit path.)
 */
function subjectFor(context: CheckerContext, principal: Principal): Subject | undefined {
  const subject = subjectOf(principal, context.subjects);
  if (subject === undefined) return undefined;
  const unknown = subjectTypeProblem(context.schema, subject.objectType, subject.optionalRelation);
  if (unknown !== undefined) throw new RelationRefusal("relation_subject_unknown", `the caller's subject cannot be checked: ${unknown}`);
  return subject;
}

/**
 * One round trip for every question not answered from the cache:
 * CheckPermission for one question (where the client has it), else one
 * CheckBulkPermissions. Each answer is cached with the token it was asked
 * at and the revision it was checked at, replacing the one before.
 */
async function askEngine(
  context: CheckerContext,
  token: string | undefined,
  asked: ReadonlyMap<string, Question>,
  held: boolean[],
  signal: AbortSignal,
): Promise<readonly boolean[]> {
  const { api } = context;
  const consistency =
    token === undefined
      ? context.untokened
      : api.Consistency.create({ requirement: { oneofKind: "atLeastAsFresh", atLeastAsFresh: { token } } });
  const answer = (key: string, question: Question, permissionship: v1.CheckPermissionResponse_Permissionship, checkedAt: string) => {
    const { HAS_PERMISSION, NO_PERMISSION } = api.CheckPermissionResponse_Permissionship;
    // CONDITIONAL (a caveat lacking context) and anything unknown count as not held, and are not cached.
    const isHeld = permissionship === HAS_PERMISSION;
    for (const index of question.indexes) held[index] = isHeld;
    if (permissionship === HAS_PERMISSION || permissionship === NO_PERMISSION)
      context.cache?.set(key, isHeld, token, checkedAt || undefined);
  };
  const permissions = context.client.permissions;
  if (asked.size === 1 && permissions.checkPermission !== undefined) {
    const [[key, question]] = asked as Map<string, Question>;
    const { resource, permission, subject } = question.item;
    // itemOf always sets resource and subject.
    const request = api.CheckPermissionRequest.create({
      consistency,
      resource: resource as v1.ObjectReference,
      permission,
      subject: subject as v1.SubjectReference,
    });
    const response = await call<v1.CheckPermissionResponse>(
      (metadata, callOptions, callback) =>
        (permissions as Required<typeof permissions>).checkPermission(request, metadata, callOptions, callback),
      signal,
    );
    answer(key, question, response.permissionship, response.checkedAt?.token ?? "");
    return held;
  }
  const items = [...asked.values()].map((question) => question.item);
  const request = api.CheckBulkPermissionsRequest.create({ consistency, items });
  const response = await call<v1.CheckBulkPermissionsResponse>(
    (metadata, callOptions, callback) => permissions.checkBulkPermissions(request, metadata, callOptions, callback),
    signal,
  );
  if (response.pairs.length !== items.length) {
    throw new SpiceDBError(`SpiceDB: ${response.pairs.length} answers to ${items.length} checks`);
  }
  const checkedAt = response.checkedAt?.token ?? "";
  [...asked].forEach(([key, question], i) => {
    const pair = response.pairs[i] as v1.CheckBulkPermissionsPair;
    if (pair.request !== undefined && keyOf(pair.request) !== key) {
      throw new SpiceDBError(`SpiceDB: answer ${i} is for ${keyOf(pair.request)}, not ${key}`);
    }
    if (pair.response.oneofKind !== "item") {
      const detail = pair.response.oneofKind === "error" ? pair.response.error.message : "no answer";
      throw new SpiceDBError(`SpiceDB: check of ${key} failed: ${detail}`);
    }
    answer(key, question, pair.response.item.permissionship, checkedAt);
  });
  return held;
}

/**
 * The caller's ZedToken: none for undefined, null or "" (the call falls back
 * to minimize_latency), the string otherwise. Anything else is no token
 * SpiceDB could have issued.
 */
function tokenOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  throw new RelationRefusal("relation_token_invalid", `atLeastAsFresh gave a ${typeof value}, not a ZedToken string`);
}

/** One distinct question of a call, and the queries that asked it. */
interface Question {
  readonly item: v1.CheckBulkPermissionsRequestItem;
  readonly indexes: number[];
}

async function loadSchema(api: AuthzedV1, client: SpiceDBClient): Promise<SpiceDBSchema> {
  const request = api.ReadSchemaRequest.create({});
  const response = await call<v1.ReadSchemaResponse>((metadata, options, callback) =>
    client.schema.readSchema(request, metadata, options, callback),
  );
  try {
    return readSchema(response.schemaText);
  } catch (error) {
    if (error instanceof SchemaReadError) {
      throw new AuthzConfigError(
        [configProblem("SpiceDB schema", `cannot read the engine's schema: ${error.message}`, "write a schema `zed validate` accepts")],
        { cause: error, what: cannotStart },
      );
    }
    throw error;
  }
}

function itemOf(api: AuthzedV1, query: RelationQuery, subject: Subject): v1.CheckBulkPermissionsRequestItem {
  return api.CheckBulkPermissionsRequestItem.create({
    resource: { objectType: query.resourceType, objectId: query.resourceId },
    permission: query.permission,
    subject: {
      object: { objectType: subject.objectType, objectId: subject.objectId },
      optionalRelation: subject.optionalRelation,
    },
  });
}

/** Unambiguous: ids and types cannot contain ":", "#" or "@" (both grammars exclude them). */
function cacheKey(query: RelationQuery, subject: Subject): string {
  return `${query.resourceType}:${query.resourceId}#${query.permission}@${subject.objectType}:${subject.objectId}#${subject.optionalRelation}`;
}

/** The same key, read back from the request SpiceDB echoes with each answer. */
function keyOf(item: v1.CheckBulkPermissionsRequestItem): string {
  const subject = item.subject?.object;
  return `${item.resource?.objectType}:${item.resource?.objectId}#${item.permission}@${subject?.objectType}:${subject?.objectId}#${item.subject?.optionalRelation ?? ""}`;
}
