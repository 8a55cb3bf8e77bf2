import { v1 } from "@authzed/authzed-node";
import { AuthzConfigError, configError, configProblem } from "../errors.js";
import type { Principal } from "../principal.js";
import type { RelationChecker, RelationQuery, RelationUse } from "../relations.js";
import { DecisionCache, type DecisionCacheOptions } from "./cache.js";
import { call, type SpiceDBClient, SpiceDBError } from "./client.js";
import { isObjectId } from "./object-id.js";
import { readSchema, SchemaReadError, type SpiceDBSchema } from "./schema.js";
import { type Subject, type SubjectMappings, subjectOf, subjectTypeOf } from "./subject.js";

/**
 * How fresh an answer must be (SpiceDB's Consistency):
 * - "minimize_latency" (default): the engine's cached snapshot, seconds old at most.
 * - "fully_consistent": the newest snapshot, at a latency cost.
 * - atLeastAsFresh: a ZedToken the caller supplies, read from its principal
 *   (e.g. an attribute the authenticator copied from a header); when it gives
 *   none, the call falls back to minimize_latency.
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
  /** Reuse engine answers for up to `ttlMs` (default off). Not allowed with fully_consistent. */
  readonly cache?: DecisionCacheOptions;
}

export interface SpiceDBChecker extends RelationChecker {
  validate(uses: readonly RelationUse[]): readonly string[];
}

const { HAS_PERMISSION, NO_PERMISSION } = v1.CheckPermissionResponse_Permissionship;

/**
 * A RelationChecker on SpiceDB. Reads the engine's schema once, so that the
 * guard can validate its tables synchronously when it starts.
 */
export async function createSpiceDBChecker(client: SpiceDBClient, options: SpiceDBCheckerOptions = {}): Promise<SpiceDBChecker> {
  const consistency = options.consistency ?? "minimize_latency";
  if (options.cache !== undefined && consistency === "fully_consistent") {
    throw configError(
      "createSpiceDBChecker cache",
      "a decision cache contradicts fully_consistent",
      "drop one of them",
      "the SpiceDB checker cannot start",
    );
  }
  const cache = options.cache === undefined ? undefined : new DecisionCache(options.cache);
  const schema = await loadSchema(client);

  const consistencyFor = (principal: Principal, procedure: string): v1.Consistency => {
    if (consistency === "fully_consistent") {
      return v1.Consistency.create({ requirement: { oneofKind: "fullyConsistent", fullyConsistent: true } });
    }
    const token = consistency === "minimize_latency" ? undefined : consistency.atLeastAsFresh(principal, procedure);
    if (typeof token === "string" && token !== "") {
      return v1.Consistency.create({ requirement: { oneofKind: "atLeastAsFresh", atLeastAsFresh: { token } } });
    }
    return v1.Consistency.create({ requirement: { oneofKind: "minimizeLatency", minimizeLatency: true } });
  };

  return {
    validate: (uses) => validateUses(schema, uses, options.subjects),

    // Reads context.signal only on the way to the engine: the guard makes the
    // signal on first read, and a call answered from the cache needs none.
    // Not async: when every answer is cached (or no id can exist), the guard
    // gets them without a promise and decides the call synchronously.
    check(principal, queries, context) {
      const { procedure } = context;
      const held: boolean[] = new Array(queries.length).fill(false);
      const subject = subjectOf(principal, options.subjects);
      if (subject === undefined) return held;
      // Each distinct question once, in the order first asked; answers fan
      // out to every query that asked it. Made on the first miss: a call
      // answered from the cache builds no map.
      let asked: Map<string, Question> | undefined;
      for (let index = 0; index < queries.length; index++) {
        const query = queries[index] as RelationQuery;
        if (!isObjectId(query.resourceId)) continue; // cannot exist: not held, nothing asked
        const key = cacheKey(query, subject);
        const cached = cache?.get(key);
        if (cached !== undefined) held[index] = cached;
        else if (asked?.has(key)) asked.get(key)?.indexes.push(index);
        else (asked ??= new Map()).set(key, { item: itemOf(query, subject), indexes: [index] });
      }
      if (asked === undefined) return held;
      return askEngine(principal, procedure, asked, held, context.signal);
    },
  };

  /**
   * One round trip for every question not answered from the cache:
   * CheckPermission for one question (where the client has it), else one
   * CheckBulkPermissions.
   */
  async function askEngine(
    principal: Principal,
    procedure: string,
    asked: ReadonlyMap<string, Question>,
    held: boolean[],
    signal: AbortSignal,
  ): Promise<readonly boolean[]> {
    const consistency = consistencyFor(principal, procedure);
    const permissions = client.permissions;
    const answer = (key: string, question: Question, permissionship: v1.CheckPermissionResponse_Permissionship) => {
      // CONDITIONAL (a caveat lacking context) and anything unknown count as not held, and are not cached.
      const isHeld = permissionship === HAS_PERMISSION;
      for (const index of question.indexes) held[index] = isHeld;
      if (permissionship === HAS_PERMISSION || permissionship === NO_PERMISSION) cache?.set(key, isHeld);
    };
    if (asked.size === 1 && permissions.checkPermission !== undefined) {
      const [[key, question]] = asked as Map<string, Question>;
      const { resource, permission, subject } = question.item;
      // itemOf always sets resource and subject.
      const request = v1.CheckPermissionRequest.create({
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
      answer(key, question, response.permissionship);
      return held;
    }
    const items = [...asked.values()].map((question) => question.item);
    const request = v1.CheckBulkPermissionsRequest.create({ consistency, items });
    const response = await call<v1.CheckBulkPermissionsResponse>(
      (metadata, callOptions, callback) => permissions.checkBulkPermissions(request, metadata, callOptions, callback),
      signal,
    );
    if (response.pairs.length !== items.length) {
      throw new SpiceDBError(`SpiceDB: ${response.pairs.length} answers to ${items.length} checks`);
    }
    [...asked].forEach(([key, question], i) => {
      const pair = response.pairs[i] as v1.CheckBulkPermissionsPair;
      if (pair.request !== undefined && keyOf(pair.request) !== key) {
        throw new SpiceDBError(`SpiceDB: answer ${i} is for ${keyOf(pair.request)}, not ${key}`);
      }
      if (pair.response.oneofKind !== "item") {
        const detail = pair.response.oneofKind === "error" ? pair.response.error.message : "no answer";
        throw new SpiceDBError(`SpiceDB: check of ${key} failed: ${detail}`);
      }
      answer(key, question, pair.response.item.permissionship);
    });
    return held;
  }
}

/** One distinct question of a call, and the queries that asked it. */
interface Question {
  readonly item: v1.CheckBulkPermissionsRequestItem;
  readonly indexes: number[];
}

async function loadSchema(client: SpiceDBClient): Promise<SpiceDBSchema> {
  const request = v1.ReadSchemaRequest.create({});
  const response = await call<v1.ReadSchemaResponse>((metadata, options, callback) =>
    client.schema.readSchema(request, metadata, options, callback),
  );
  try {
    return readSchema(response.schemaText);
  } catch (error) {
    if (error instanceof SchemaReadError) {
      throw new AuthzConfigError(
        [
          configProblem(
            "spicedb schema",
            `cannot read the engine's schema: ${error.message}`,
            "write the schema with `zed schema write` and check it with `zed validate`",
          ),
        ],
        { cause: error, what: "the SpiceDB checker cannot start" },
      );
    }
    throw error;
  }
}

function validateUses(schema: SpiceDBSchema, uses: readonly RelationUse[], subjects: SubjectMappings | undefined): string[] {
  const problems: string[] = [];
  for (const use of uses) {
    const where = `${use.procedure}: relation ${use.resourceType}#${use.permission}`;
    if (!schema.hasType(use.resourceType)) {
      problems.push(`${where}: the SpiceDB schema has no definition "${use.resourceType}" (add it, or fix the rule)`);
      continue;
    }
    if (!schema.hasPermission(use.resourceType, use.permission)) {
      problems.push(
        `${where}: definition "${use.resourceType}" has no permission or relation "${use.permission}" (add it to the schema, or fix the rule)`,
      );
      continue;
    }
    const reachable = schema.subjectTypes(use.resourceType, use.permission);
    if (reachable === undefined) continue;
    for (const kind of use.principals) {
      const subjectType = subjectTypeOf(kind, subjects);
      if (subjectType === undefined) {
        problems.push(`${where}: principal kind "${kind}" has no SpiceDB subject (add it to the checker's subjects)`);
      } else if (!reachable.has(subjectType)) {
        const known = [...reachable].sort().join(", ") || "none";
        problems.push(
          `${where}: principal kind "${kind}" (subject type ${subjectType}) can never hold it; subject types that can: ${known}`,
        );
      }
    }
  }
  return problems;
}

function itemOf(query: RelationQuery, subject: Subject): v1.CheckBulkPermissionsRequestItem {
  return v1.CheckBulkPermissionsRequestItem.create({
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
