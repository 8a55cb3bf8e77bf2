// Requests no compiler would send: undecodable rule bytes, a rule set twice,
// names that collide or are not identifiers. Each is a located problem, and
// none hides the others.
import { join } from "node:path";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { defineServiceAuthz, type ServiceAuthz } from "protoauthz";
import { compileTables } from "protoauthz/tool";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { generateDir, runAuthz } from "../../test/support/generate.js";
import { hostileRequest, ruleBytes } from "../../test/support/hostile-request.js";

const bytes = (...b: number[]) => new Uint8Array(b);
const deny = ruleBytes({ access: { case: "deny", value: { reason: "retired" } } });
const open = ruleBytes({ access: { case: "public", value: { reason: "probe" } } });
/** 200 nested groups of an unknown field: past protobuf-es's recursion limit. */
const deepGroups = bytes(...new Array(200).fill((15 << 3) | 3), ...new Array(200).fill((15 << 3) | 4));

describe("malformed rule bytes", () => {
  it("are each located at their RPC, all in one run, next to the run's other problems", () => {
    const { files, error } = runAuthz(
      hostileRequest(
        [
          {
            name: "m/v1/m.proto",
            package: "m.v1",
            fields: ["id"],
            services: [
              {
                name: "Broken",
                methods: [
                  { name: "PrematureEof", rule: [bytes(0x0a)] },
                  { name: "IllegalTag", rule: [bytes(0x00)] },
                  { name: "BadUtf8", rule: [bytes(0x0a, 0x03, 0x0a, 0x01, 0xff)] },
                  { name: "TooDeep", rule: [deepGroups] },
                  { name: "Fine", rule: [open] },
                  { name: "NoRule" },
                ],
              },
            ],
          },
        ],
        "target=ts",
      ),
    );
    expect(files.size).toBe(0);
    const lines = error?.split("\n") ?? [];
    expect(lines[0]).toBe("5 authorization problems:");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^m\/v1\/m\.proto: m\.v1\.Broken\.PrematureEof: the rule option's bytes do not decode \(.*premature EOF.*\) \(compile/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^m\/v1\/m\.proto: m\.v1\.Broken\.IllegalTag: the rule option's bytes do not decode \(.*illegal tag.*\)/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^m\/v1\/m\.proto: m\.v1\.Broken\.BadUtf8: the rule option's bytes do not decode \(.*UTF-8.*\)/i),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^m\/v1\/m\.proto: m\.v1\.Broken\.TooDeep: the rule option's bytes do not decode \(.*recursion.*\)/i),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^m\/v1\/m\.proto: m\.v1\.Broken\.NoRule: no rule/));
  });
});

describe("rule option set twice", () => {
  it("on an RPC or a service, even when the bytes would merge cleanly", () => {
    const { error } = runAuthz(
      hostileRequest(
        [
          {
            name: "t/v1/t.proto",
            package: "t.v1",
            fields: ["id"],
            services: [
              { name: "Twice", defaultRule: [deny, deny], methods: [{ name: "Purge", rule: [deny, open] }, { name: "Inherits" }] },
            ],
          },
        ],
        "target=ts",
      ),
    );
    expect(error).toContain("t/v1/t.proto: t.v1.Twice.Purge: the rule option is set by 2 statements, which protobuf merges into one rule");
    expect(error).toContain("t/v1/t.proto: t.v1.Twice: default_rule: the default_rule option is set by 2 statements");
  });
});

describe("generated names", () => {
  it("methods that become one table key fail with both names", () => {
    const { files, error } = runAuthz(
      hostileRequest(
        [
          {
            name: "c/v1/c.proto",
            package: "c.v1",
            fields: ["id"],
            services: [
              {
                name: "Clash",
                methods: [
                  { name: "GetFoo", rule: [deny] },
                  { name: "getFoo", rule: [open] },
                ],
              },
            ],
          },
        ],
        "target=ts",
      ),
    );
    expect(files.size).toBe(0);
    expect(error).toContain('c.v1.Clash.getFoo: getFoo and GetFoo (c/v1/c.proto) both become the table key "getFoo" (rename one of them)');
  });

  it("a service declared twice fails with both places", () => {
    const file = (name: string) => ({
      name,
      package: "d.v1",
      fields: ["id"],
      services: [{ name: "Dup", methods: [{ name: "Get", rule: [open] }] }],
    });
    const { files, error } = runAuthz(hostileRequest([file("d/v1/a.proto"), file("d/v1/b.proto")], "target=ts"));
    expect(files.size).toBe(0);
    expect(error).toMatch(/d\.v1\.Dup/);
  });

  it("a name that is not a proto identifier is refused, shown escaped", () => {
    const { files, error } = runAuthz(
      hostileRequest(
        [
          {
            name: "n/v1/n.proto",
            package: "n.v1",
            fields: ["id"],
            services: [{ name: "S", methods: [{ name: "A*/\u2028B", rule: [open] }] }],
          },
        ],
        "target=ts",
      ),
    );
    expect(files.size).toBe(0);
    // protoplugin >= 2.17 refuses it first ("invalid method name"), older ones
    // reach our own check ("is not a proto identifier"): either way escaped.
    expect(error).toMatch(/^n\/v1\/n\.proto: .*method name "A\*\/\\u2028B"/);
    expect(error).not.toMatch(/\u2028/);
  });
});

describe("file paths", () => {
  it.each(["a//b.proto", "/abs/b.proto", "a/./b.proto", "a/../../b.proto", "a\\b.proto", "a/b.txt"])(
    "a path protoc would never send (%s) is refused, not written",
    (name) => {
      const { files, error } = runAuthz(
        hostileRequest(
          [{ name, package: "p.v1", fields: ["id"], services: [{ name: "S", methods: [{ name: "M", rule: [open] }] }] }],
          "target=js+dts",
        ),
      );
      expect(files.size).toBe(0);
      expect(error).toContain("the file path is not a relative path");
    },
  );

  it("a path with a bidi override or line separator is refused, shown escaped", () => {
    const { files, error } = runAuthz(
      hostileRequest(
        [
          {
            name: "a\u202e/b\u2028.proto",
            package: "p.v1",
            fields: ["id"],
            services: [{ name: "S", methods: [{ name: "M", rule: [open] }] }],
          },
        ],
        "target=ts",
      ),
    );
    expect(files.size).toBe(0);
    expect(error).toContain(
      "a\\u202e/b\\u2028.proto: a\\u202e/b\\u2028.proto: the file path contains a control, line-break or invisible character",
    );
  });
});

describe("plugin parameters", () => {
  const request = (parameter: string) =>
    hostileRequest(
      [{ name: "p/v1/p.proto", package: "p.v1", fields: ["id"], services: [{ name: "S", methods: [{ name: "M", rule: [open] }] }] }],
      parameter,
    );

  it.each([
    ["principals=user\nexport const x = 1", /contains a control, line-break or invisible character/],
    ["registry=../../etc/authz", /option registry: "\.\.\/\.\.\/etc\/authz" leaves the output directory/],
    ["report=/tmp/AUTHZ.md", /option report: "\/tmp\/AUTHZ\.md" is not a relative path/],
    ["report=C:/AUTHZ.md", /option report: "C:\/AUTHZ\.md" is not a relative path/],
    ["registry=authz\\index", /option registry: .* is not a relative path with forward slashes/],
  ])("%j is refused", (parameter, message) => {
    const { files, error } = runAuthz(request(`target=ts,${parameter}`));
    expect(files.size).toBe(0);
    expect(error).toMatch(message);
  });
});

describe("methods named like Object.prototype members", () => {
  it("the generated table, run as JavaScript, gives each its own rule in the guard", () => {
    const { request, files, error } = generateDir(join(import.meta.dirname, "../../test/golden/reserved-names/input"), "target=ts");
    expect(error).toBeUndefined();
    const service = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile })).getService("names.v1.Reserved");
    if (service === undefined) throw new Error("no service");
    // Run the module body with its two imports supplied; nothing else is in scope.
    const text = (files.get("names/v1/names_authz.ts") ?? "").replace(/^import .*$/gm, "");
    const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const exports: Record<string, ServiceAuthz> = {};
    new Function("exports", "defineServiceAuthz", "Reserved", js)(exports, defineServiceAuthz, service);
    const table = exports.ReservedAuthz;
    if (table === undefined) throw new Error("no table");
    expect(Object.getPrototypeOf(table.rules)).toBe(Object.prototype);
    expect(Object.keys(table.rules)).toEqual(["__proto__", "constructor$", "toString$", "hasOwnProperty"]);
    const entries = compileTables([table]);
    const access = (method: string) => entries.get(`/names.v1.Reserved/${method}`)?.checked.rule.access;
    expect([access("__proto__"), access("constructor"), access("toString"), access("hasOwnProperty")]).toEqual([
      "deny",
      "public",
      "authenticated",
      "deny",
    ]);
  });
});
