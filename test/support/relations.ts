import type { Principal, RelationChecker, RelationQuery, RelationUse } from "protoauthz";

/**
 * An in-memory relationship engine: facts are "kind:subject resourceType:id#permission".
 * Counts round trips and records every query, so tests can see whether and
 * how often the guard asked.
 */
export function memoryChecker(
  facts: readonly string[],
  behaviour: { delayMs?: number; fail?: boolean; problems?: readonly string[] } = {},
) {
  const held = new Set(facts);
  const seen = { roundTrips: 0, queries: [] as RelationQuery[][], aborted: 0, uses: [] as RelationUse[] };
  const checker: RelationChecker = {
    validate(uses) {
      seen.uses.push(...uses);
      return behaviour.problems ?? [];
    },
    async check(principal: Principal, queries, { signal }) {
      seen.roundTrips++;
      seen.queries.push([...queries]);
      if (behaviour.delayMs !== undefined) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, behaviour.delayMs);
          signal.addEventListener("abort", () => {
            seen.aborted++;
            clearTimeout(timer);
            resolve();
          });
        });
      }
      if (behaviour.fail === true) throw new Error("engine unreachable");
      return queries.map((q) => held.has(`${principal.kind}:${principal.subject} ${q.resourceType}:${q.resourceId}#${q.permission}`));
    },
  };
  return { checker, seen };
}
