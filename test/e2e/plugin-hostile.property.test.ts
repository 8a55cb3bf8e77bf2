// Hostile input cannot change what generated code does. Requests are built
// straight from descriptors (protoc would refuse most of these names; an
// attacker's request need not come from protoc), with arbitrary Unicode in
// every string. Each generated file must parse to exactly the expected syntax
// tree, hold exactly the declared rules, and agree with the report.
// `npm run fuzz` runs many more cases (FUZZ_RUNS).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { printable } from "../../plugin/src/escape.js";
import { runAuthz, runEs } from "../support/generate.js";
import { checkRegistry, checkReport, checkTableFile, expectHeader, parse } from "../support/generated-shape.js";
import {
  type Case,
  hostile,
  namesValid,
  type Requirements,
  relationsValid,
  requestOf,
  specials,
  testCase,
} from "../support/hostile-case.js";
import { typecheck } from "../support/typecheck.js";

/** What a terminal would obey rather than show; error text must not contain it. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const unprintableInError = /[\u0000-\u001f\u2028\u2029\u202e]/;
const runs = Number(process.env.FUZZ_RUNS ?? 100);
const seed = Number(process.env.FUZZ_SEED ?? 20260811);

describe("hostile input cannot change generated code", () => {
  it("every input string, through the whole plugin", () => {
    fc.assert(
      fc.property(testCase, (c) => {
        const { files, error } = runAuthz(requestOf(c, "target=ts,report=AUTHZ.md"));
        if (!namesValid(c) || !relationsValid(c)) {
          expect(files.size).toBe(0);
          expect(error).toMatch(
            // "invalid … name": protoplugin >= 2.17 refuses non-identifiers before our own check.
            /is not a proto identifier|is not a JavaScript identifier|contains a control, line-break or invisible character|is not a relative path|relation |invalid [a-z ]+ name /,
          );
          for (const line of error?.split("\n") ?? []) expect(line).not.toMatch(unprintableInError);
          return;
        }
        expect(error).toBeUndefined();
        const tableFile = [...files.keys()].find((f) => f.endsWith("_authz.ts"));
        checkTableFile(c, files.get(tableFile ?? "") ?? "");
        checkRegistry(files.get("authz_registry.ts") ?? "");
        checkReport(c, files.get("AUTHZ.md") ?? "");
      }),
      { seed, numRuns: runs },
    );
  });

  it("plugin parameters: refused, or the headers stay comments", () => {
    const c: Case = {
      file: "a/b.proto",
      pkg: "acme.v1",
      fields: ["id"],
      services: [{ name: "S", methods: [{ name: "M", rule: { access: "deny", reason: "r" } }] }],
    };
    const option = fc.constantFrom(
      "registry",
      "report",
      "principals",
      "roles",
      "scopes",
      "resources",
      "permissions",
      "adapters",
      "undeclared",
      "rewrite_imports",
    );
    fc.assert(
      fc.property(option, hostile, (key, value) => {
        const { files, error } = runAuthz(requestOf(c, `target=ts,${key}=${value}`));
        if (error !== undefined) {
          expect(files.size).toBe(0);
          for (const line of error.split("\n")) expect(line).not.toMatch(unprintableInError);
          return;
        }
        for (const [file, text] of files) {
          expect(file.split("/")).not.toContain("..");
          if (file.endsWith(".ts")) expectHeader(text);
        }
      }),
      { seed, numRuns: runs * 2 },
    );
  });
});

describe("hostile strings compile under strict", () => {
  it("every special sequence in paths, reasons, names, bindings and relations", () => {
    const nasty = specials.filter((p) => !["\n", "\r", "\u2028", "\u2029"].includes(p)).join("");
    const alternative = (principal: string): Requirements => ({
      principals: [principal],
      scopes: [`${nasty}scope`],
      roles: [],
      bindings: [{ field: "tenant_id", attribute: `${nasty}\n\u2028attr` }],
      relations: [{ resourceType: "workspace", idField: "tenant_id", permission: "write" }],
    });
    const c: Case = {
      // protoc-gen-es writes the path into its own `//` preamble, so the
      // path here has no line break; paths with invisible characters are
      // refused (the property above covers those), and so are paths protoc
      // never sends (empty segments, backslashes).
      file: `evil*/${[...nasty].filter((ch) => printable(ch) === ch && ch !== "\\").join("")}/a.proto`.replace(/\/+/g, "/"),
      pkg: "acme.v1",
      fields: ["tenant_id"],
      services: [
        {
          name: "Evil",
          methods: [
            { name: "Purge", rule: { access: "deny", reason: `${nasty}\n*/ }); globalThis.pwned = 1; /*` } },
            { name: "__proto__", rule: { access: "public", reason: "\u2028\u2029\u0000" } },
            { name: "constructor", rule: { access: "authenticated", ...alternative(`user${nasty}`) } },
            { name: "toString", rule: { access: "any_of", alternatives: [alternative("owner"), alternative("admin*/")] } },
          ],
        },
      ],
    };
    const request = requestOf(c, "target=ts,import_extension=js");
    const { files, error } = runAuthz(request);
    expect(error).toBeUndefined();
    checkTableFile(c, [...files].find(([f]) => f.endsWith("_authz.ts"))?.[1] ?? "");
    const es = runEs(request);
    expect(typecheck(new Map([...es, ...files]), "hostile", { isolatedDeclarations: true, declaration: true })).toEqual([]);
    // The declarations of target=js+dts hold the same strings, escaped the
    // same way. (protoplugin's transpiler cannot map a path with an empty
    // segment or a backslash back to its source; such paths fail generation.)
    const dts = runAuthz(requestOf({ ...c, file: c.file.replace(/[/\\]+/g, "/") }, "target=js+dts,import_extension=js"));
    expect(dts.error).toBeUndefined();
    const declarations = [...dts.files].filter(([f]) => f.endsWith(".d.ts"));
    expect(declarations).toHaveLength(2);
    for (const [name, text] of declarations) {
      expectHeader(text);
      parse(name, text);
    }
    expect(typecheck(new Map([...es, ...dts.files]), "hostile-dts")).toEqual([]);
  });
});
