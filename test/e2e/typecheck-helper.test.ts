// test/support/typecheck.ts keeps one project between checks so that the
// files every check reads are parsed once; a check must still see only its
// own files, as if it ran alone.
import { describe, expect, it } from "vitest";
import { typecheck } from "../support/typecheck.js";

describe("typecheck", () => {
  it("forgets the files of earlier checks: a global one declared is unknown to the next", () => {
    const declares = new Map([["a.ts", "declare global {\n  const leaked: number;\n}\nexport {};\n"]]);
    const uses = new Map([["b.ts", "export const x: number = leaked;\n"]]);
    expect(typecheck(declares, "first")).toEqual([]);
    expect(typecheck(uses, "second").join("\n")).toMatch(/Cannot find name 'leaked'/);
    expect(typecheck(new Map([...declares, ...uses]), "both")).toEqual([]);
  });

  it("reports a file's errors again when the same file is checked again", () => {
    const broken = new Map([["c.ts", 'export const n: number = "text";\n']]);
    const first = typecheck(broken, "again");
    expect(first.join("\n")).toMatch(/not assignable to type 'number'/);
    expect(typecheck(broken, "again")).toEqual(first);
  });
});
