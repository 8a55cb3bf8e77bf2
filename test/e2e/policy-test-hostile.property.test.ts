// Any test file, however broken, is a pass (0), a failure (1) or one line
// naming file:line:col (2): never a stack trace, never an "unexpected error".
import { rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { runCli } from "protoc-gen-authz";
import { afterAll, expect, it, vi } from "vitest";
import { scratch } from "../support/check-cli.js";
import { fullSuite, policyImage, write } from "../support/policy-test.js";

const work = scratch("policy-hostile");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const image = policyImage(join(work, "api"));
const runs = Number(process.env.FUZZ_RUNS ?? 100);

/** Pieces a test file is made of, and pieces that break it. */
const fragment = fc.oneof(
  fc.constantFrom(
    "principals:",
    "requests:",
    "tests:",
    "include: [x.yaml]",
    "schema: s.zed",
    "relationships: |",
    "  - rpc: check.v1.Api/Own",
    "  - rpc: check.v1.Api/Nope",
    "    request: { sandboxId: sb-1 }",
    "    request: { sandboxId: 1 }",
    "    request: { nope: 1 }",
    "    request: one",
    "    stream: [one, {}]",
    "    expect: { sb1: ALLOW }",
    "    expect: { ghost: ALLOW }",
    "    expect: { sb1: MAYBE }",
    "    expect: []",
    "  sb1: { kind: sandbox, attributes: { sandbox_id: [1] } }",
    "  x: { kind: 7 }",
    "  anonymous: { kind: user }",
    "  one: { sandboxId: sb-1 }",
    "  one: 5",
    "  doc:1#viewer@user:a",
    "&a [*a, *a]",
    "? [a]\n: b",
    "- - -",
    "{",
    "\t",
    "'",
    "__proto__: { kind: user }",
    "  constructor: { kind: user }",
    "\u202e\u0000\u2028",
  ),
  fc.string({ maxLength: 30 }),
);

/** A valid file with lines replaced, inserted or removed, or a file of random fragments. */
const testFileText = fc.oneof(
  fc.array(fragment, { maxLength: 12 }).map((lines) => lines.join("\n")),
  fc.tuple(fc.nat(), fc.nat({ max: 2 }), fragment).map(([at, op, piece]) => {
    const lines = fullSuite.split("\n");
    const i = at % lines.length;
    if (op === 0) lines[i] = piece;
    else if (op === 1) lines.splice(i, 0, piece);
    else lines.splice(i, 1);
    return lines.join("\n");
  }),
);

it("every test file gives 0, 1, or 2 with one line at file:line:col", async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(testFileText, async (text) => {
      const file = write(join(work, `f${++n}.authz-test.yaml`), text);
      let stderr = "";
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
      });
      let code: number;
      try {
        code = await runCli(["test", image, file], () => {});
      } finally {
        spy.mockRestore();
      }
      expect([0, 1, 2]).toContain(code);
      if (code !== 2) return;
      expect(stderr).not.toMatch(/unexpected error|at .*\(.*:\d+:\d+\)/);
      const lines = stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      const where = /^protoc-gen-authz: (.*?):(\d+):(\d+): /.exec(lines[0] ?? "");
      expect(where, stderr).not.toBeNull();
      const line = Number(where?.[2]);
      expect(line).toBeGreaterThanOrEqual(1);
      // The place is in the file it names (this one, or one it includes).
      if (where?.[1]?.endsWith(`f${n}.authz-test.yaml`)) expect(line).toBeLessThanOrEqual(text.split("\n").length + 1);
    }),
    { numRuns: runs },
  );
}, 120_000);
