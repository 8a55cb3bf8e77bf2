// The policy-test file reader alone (no image, no guard): positions, includes
// and name suggestions, in process.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { expandPatterns } from "../src/policy/glob.js";
import { readTestSuite } from "../src/policy/suite-file.js";
import { closest, TestFileError } from "../src/policy/where.js";

const dir = mkdtempSync(join(tmpdir(), "protoauthz-suite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const shown = (path: string) => path.slice(dir.length + 1);

describe("policy test files", () => {
  it("keeps each expectation's place and resolves names through includes", () => {
    file("common.yaml", "principals:\n  sb1: { kind: sandbox, attributes: { sandbox_id: sb-1 } }\nrequests:\n  one: { sandboxId: sb-1 }\n");
    const suite = readTestSuite(
      file(
        "a.authz-test.yaml",
        "include: [common.yaml]\ntests:\n  - rpc: a.v1.S/M\n    stream: [one, {}]\n    expect: { sb1: ALLOW, anonymous: UNAUTHENTICATED }\n",
      ),
      shown,
    );
    expect(suite.principals.get("sb1")?.principal).toEqual({
      kind: "sandbox",
      subject: "sb1",
      scopes: [],
      roles: [],
      attributes: { sandbox_id: "sb-1" },
    });
    const [test] = suite.tests;
    expect(test?.messages.map((m) => m.json)).toEqual([{ sandboxId: "sb-1" }, {}]);
    expect(test?.expect.map((e) => [e.principal, e.outcome, e.where.line, e.where.column])).toEqual([
      ["sb1", "ALLOW", 5, 15],
      ["anonymous", "UNAUTHENTICATED", 5, 27],
    ]);
  });

  it("a missing file is an error at the file, not a crash", () => {
    expect(() => readTestSuite(join(dir, "missing.yaml"), shown)).toThrow(TestFileError);
  });
});

describe("closest", () => {
  it("suggests a near name and nothing for a far one", () => {
    expect(closest("check.v1.Api/Reed", ["check.v1.Api/Read", "check.v1.Api/Own"])).toBe("check.v1.Api/Read");
    expect(closest("ALLOWED", ["ALLOW", "PERMISSION_DENIED"])).toBe("ALLOW");
    expect(closest("zzzzzz", ["ALLOW"])).toBeUndefined();
  });

  it("is the name at the least edit distance, for any names", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }), (wanted, names) => {
        const found = closest(wanted, names);
        if (names.some((n) => n.toLowerCase() === wanted.toLowerCase())) expect(found?.toLowerCase()).toBe(wanted.toLowerCase());
        if (found !== undefined) expect(names).toContain(found);
      }),
    );
  });
});

describe("test file globs", () => {
  it("** crosses folders, * does not, and a glob that matches nothing is refused", () => {
    // Its own files: the test that writes a.authz-test.yaml may not have run first.
    file("a.authz-test.yaml", "");
    file("x.authz-test.yaml", "");
    expect(expandPatterns(["*.authz-test.yaml"], dir).map(shown)).toEqual(["a.authz-test.yaml", "x.authz-test.yaml"]);
    expect(expandPatterns(["**/a.authz-test.yaml"], dir).map(shown)).toEqual(["a.authz-test.yaml"]);
    expect(() => expandPatterns(["nope/*.yaml"], dir)).toThrow(/no test file matches/);
  });
});
