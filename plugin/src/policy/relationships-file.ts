// The relationships block of a policy test file: SpiceDB's text form, one
// relationship a line, each checked at its own line.
import { isScalar, isSeq } from "yaml";
import { TestFileError, type Where } from "./where.js";
import { stringOf, type YamlFile } from "./yaml-nodes.js";

/** SpiceDB's relationship text form. */
export const relationshipLine = /^([^:#@\s]+):([^:#@\s]+)#([^:#@\s]+)@([^:#@\s]+):([^:#@\s]+)(?:#([^:#@\s]+))?$/;

/** `resource:id#relation@subject:id[#relation]` lines of a block string, or a list of them, each checked at its line. */
export function readRelationships(yaml: YamlFile, node: unknown): { text: string; where: Where }[] {
  const found = relationshipsOf(yaml, node);
  for (const { text, where } of found) {
    if (!relationshipLine.test(text)) {
      throw new TestFileError(
        where,
        `not a relationship: "${text}" (write resource:id#relation@subject:id, e.g. workspace:acme#member@user:alice)`,
      );
    }
  }
  return found;
}

function relationshipsOf(yaml: YamlFile, node: unknown): { text: string; where: Where }[] {
  if (isSeq(node)) return node.items.map((item) => ({ text: stringOf(yaml, item, "relationship").trim(), where: yaml.whereOf(item) }));
  const text = stringOf(yaml, node, "relationships", "write one relationship per line in a block: relationships: |");
  const start = yaml.whereOf(node);
  // A block scalar's content starts on the line after its indicator.
  const block = isScalar(node) && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") ? 1 : 0;
  return text
    .split("\n")
    .map((line, i) => {
      const at = start.line + block + i;
      return { text: line.trim(), where: { file: start.file, line: at, column: block ? yaml.indentOf(at) : start.column } };
    })
    .filter((r) => r.text !== "" && !r.text.startsWith("#"));
}
