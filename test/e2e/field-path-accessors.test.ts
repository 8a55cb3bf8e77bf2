// Generated binding accessors cost work linear in the path's length: they grow
// by a line per oneof step (they used to double at every step) and compile
// under strict at the deepest path allowed. Measured in bytes, never in time.
import { beforeAll, describe, expect, it } from "vitest";
import { compileDeepPath, depths } from "../support/deep-path.js";
import { typecheck } from "../support/typecheck.js";

let generated: Map<string, string>;

beforeAll(() => {
  generated = compileDeepPath().generated;
});

/** The generated table entry of method D<depth>, from its doc comment to its end. */
function entryOf(depth: number): string {
  const table = generated.get("deep/v1/deep_authz.ts") ?? "";
  const entry = table.split("\n  /**\n").find((chunk) => chunk.includes(`* D${depth}:`));
  expect(entry).toBeDefined();
  return entry ?? "";
}

describe("generated accessors", () => {
  it("grow linearly with the depth of a recursive oneof path", () => {
    const sizes = depths.map((d) => entryOf(d).length);
    // Bytes added per extra field, between consecutive depths: constant for
    // a linear emitter; it doubled at every step when the group was repeated.
    const perField = depths.slice(1).map((d, i) => ((sizes[i + 1] ?? 0) - (sizes[i] ?? 0)) / (d - (depths[i] ?? 0)));
    for (const growth of perField) expect(growth).toBeLessThan(100);
    expect(Math.max(...perField) / Math.min(...perField)).toBeLessThan(1.5);
  });

  it("read a 64-deep oneof path with one const per step and compile under strict", () => {
    const entry = entryOf(64);
    expect(entry.match(/const s\d+ = /g)).toHaveLength(62);
    expect(entry).toContain('return (s62?.case === "leaf" ? s62.value : undefined)?.sandboxId;');
    expect(typecheck(generated, "field-path")).toEqual([]);
  });
});
