// Hostile strings from protos (names, reasons, roles, scopes, kinds,
// bindings, paths), acknowledgement files and TypeScript projects, through
// every output format of `check` and `report`: nothing leaves its field. Text
// and GitHub lines are exactly the ones we emit, with no control, line-break
// or invisible character; JSON gives back every string exactly; markdown has
// every input string in a code span (no HTML, no link) and every table row its
// columns. `npm run fuzz` runs many more cases (FUZZ_RUNS).
import { create, createFileRegistry, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Case, encode, hostile, type RuleSpec, rule, testCase } from "../../test/support/hostile-case.js";
import { type FileSpec, hostileRequest } from "../../test/support/hostile-request.js";
import { type Findings, type Format, render } from "../src/check/output.js";
import { checkFiles, compareSurfaces } from "../src/check/run.js";
import { printable } from "../src/escape.js";
import { formatLocation } from "../src/location.js";
import { jsonDocument } from "../src/render.js";
import { type SurfaceRow, surfaceJson, surfaceToMarkdown } from "../src/report.js";

const runs = Number(process.env.FUZZ_RUNS ?? 100);
const seed = Number(process.env.FUZZ_SEED ?? 20261203);

/** A case, each method's rule the version before, and which methods declare none (generated as audit). */
const versions = testCase.chain((c) => {
  const methods = c.services.flatMap((s) => s.methods);
  return fc.record({
    c: fc.constant(c),
    before: fc.array(rule(c.fields), { minLength: methods.length, maxLength: methods.length }),
    undeclared: fc.array(fc.boolean(), { minLength: methods.length, maxLength: methods.length }),
  });
});

/** The files of the case with these rules (undefined: the method declares none); none when descriptors do not load. */
function filesOf(c: Case, rules: readonly (RuleSpec | undefined)[]): DescFile[] | undefined {
  let i = 0;
  const spec: FileSpec = {
    name: c.file,
    package: c.pkg,
    fields: c.fields,
    services: c.services.map((s) => ({
      name: s.name,
      methods: s.methods.map((m) => {
        const r = rules[i++];
        return { name: m.name, ...(r !== undefined && { rule: [encode(r)] }) };
      }),
    })),
  };
  const request = hostileRequest([spec], "");
  try {
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    return request.protoFile.flatMap((f) => registry.getFile(f.name) ?? []);
  } catch {
    return undefined;
  }
}

const extras = fc.record({
  stale: fc.array(fc.record({ procedure: hostile.map((s) => `/${s}`), reason: hostile, file: hostile, line: fc.nat(9999) }), {
    maxLength: 2,
  }),
  unguarded: fc.array(fc.record({ file: hostile, line: fc.nat(9999), column: fc.nat(99), message: hostile }), { maxLength: 2 }),
  acknowledgeIn: fc.option(hostile, { nil: undefined }),
  extraProblem: fc.option(fc.record({ file: hostile, line: fc.nat(9999), column: fc.nat(99), element: hostile, message: hostile }), {
    nil: undefined,
  }),
});

/** Findings and the surface of one case, through the same functions the CLI uses. */
function outputsOf(v: { c: Case; before: RuleSpec[]; undeclared: boolean[] }) {
  const methods = v.c.services.flatMap((s) => s.methods);
  const now = filesOf(
    v.c,
    methods.map((m, i) => (v.undeclared[i] ? undefined : m.rule)),
  );
  const was = filesOf(v.c, v.before);
  if (now === undefined || was === undefined) return undefined;
  const checked = checkFiles(now, {}, "audit");
  const { changes } = compareSurfaces(checkFiles(was, {}, "audit").surface, checked.surface, []);
  return { checked, changes };
}

describe("hostile input cannot leave its field in any output", () => {
  it("check: text, github and json; report: markdown and json", () => {
    fc.assert(
      fc.property(versions, extras, (v, x) => {
        const outputs = outputsOf(v);
        if (outputs === undefined) return;
        const { checked, changes } = outputs;
        const findings: Findings = {
          problems: [...checked.problems, ...(x.extraProblem === undefined ? [] : [{ ...x.extraProblem }])],
          changes,
          stale: x.stale,
          unguarded: x.unguarded,
          audited: checked.surface.filter((r) => r.access === "audit").map((r) => ({ procedure: r.procedure, location: r.location })),
          acknowledgeIn: x.acknowledgeIn,
        };
        const count = findings.problems.length + findings.unguarded.length + changes.length + x.stale.length + findings.audited.length;
        checkText(render(findings, "text"), count + 1);
        checkGithub(render(findings, "github"), count);
        checkJson(render(findings, "json" satisfies Format), findings);
        checkMarkdown(surfaceToMarkdown(checked.surface, "audit"), checked.surface);
        const json = jsonDocument(surfaceJson(checked.surface));
        expectPrintableLines(json);
        expect(JSON.parse(json)).toEqual(surfaceJson(checked.surface));
      }),
      { seed, numRuns: runs },
    );
  });
});

function expectPrintableLines(output: string) {
  for (const line of output.split("\n")) expect(printable(line), line).toBe(line);
}

/** One line per finding and the summary: a field's line break would add one. */
function checkText(output: string, lines: number) {
  expectPrintableLines(output);
  expect(output.split("\n")).toHaveLength(lines);
  for (const line of output.split("\n")) expect(line).not.toMatch(/^::/);
}

/** One workflow command per finding, each with exactly the properties we set. */
function checkGithub(output: string, lines: number) {
  expectPrintableLines(output);
  const all = output === "" ? [] : output.split("\n");
  expect(all).toHaveLength(lines);
  for (const line of all) expect(line).toMatch(/^::(error|warning|notice) (file=[^:,]*,(line=\d+,col=\d+,)?)?title=[^:,]*::/);
}

/** Every string exactly as it came in. */
function checkJson(output: string, f: Findings) {
  expectPrintableLines(output);
  const parsed = JSON.parse(output);
  expect(parsed.problems).toEqual(f.problems.map((p) => ({ ...p })));
  expect(parsed.staleAcknowledgements).toEqual(f.stale);
  expect(parsed.unguarded).toEqual(f.unguarded);
  const changes = [...parsed.loosening, ...parsed.tightening].map((c: { procedure: string; what: string }) => `${c.procedure} ${c.what}`);
  expect(changes.sort()).toEqual(f.changes.map((c) => `${c.procedure} ${c.what}`).sort());
  expect(parsed.audit.map((a: { procedure: string; location: string }) => [a.procedure, a.location])).toEqual(
    f.audited.map((a) => [a.procedure, formatLocation(a.location)]),
  );
}

/** GFM splits a row at every pipe no backslash escapes, before it reads any inline. */
const cellsOf = (row: string) => row.split(/(?<!\\)\|/);

/** The text outside code spans (CommonMark: a backtick run closes at the next run of the same length). */
function outsideCodeSpans(text: string): { outside: string; spans: string[] } {
  let outside = "";
  const spans: string[] = [];
  let i = 0;
  const runAt = (at: number) => {
    let n = 0;
    while (text[at + n] === "`") n++;
    return n;
  };
  while (i < text.length) {
    if (text[i] !== "`") {
      outside += text[i++];
      continue;
    }
    const n = runAt(i);
    let j = i + n;
    let close = -1;
    while (j < text.length && close < 0) {
      const m = text[j] === "`" ? runAt(j) : 0;
      if (m === n) close = j;
      j += Math.max(m, 1);
    }
    if (close < 0) {
      outside += text.slice(i, i + n);
      i += n;
      continue;
    }
    spans.push(text.slice(i + n, close));
    i = close + n;
  }
  return { outside, spans };
}

/** Outside code spans only our own words: no HTML, link, image, entity or escape can come from input. */
const ourText = /^[A-Za-z0-9 *:↳,.()=#_-]*$/;

function checkMarkdown(output: string, rows: readonly SurfaceRow[]) {
  expectPrintableLines(output);
  const lines = output.split("\n");
  const alternatives = rows.reduce((n, r) => n + r.alternatives.length, 0);
  expect(lines.filter((l) => l.startsWith("|"))).toHaveLength(2 + rows.length + alternatives);
  const procedures: string[] = [];
  for (const line of lines) {
    const cells = line.startsWith("|") ? cellsOf(line) : [line];
    if (line.startsWith("|")) expect(cells, line).toHaveLength(11);
    for (const [i, cell] of cells.entries()) {
      const { outside, spans } = outsideCodeSpans(cell);
      expect(outside, line).toMatch(line.startsWith("|---") ? /^-*$/ : ourText);
      // The first cell of a surface row holds the procedure, exactly as printable() shows it.
      if (i === 1 && line.startsWith("| `")) {
        const span = (spans[0] ?? "").replaceAll("\\|", "|");
        procedures.push(/^ .*[^ ].* $/.test(span) ? span.slice(1, -1) : span);
      }
    }
  }
  expect(procedures).toEqual(rows.map((r) => printable(r.procedure)));
}
