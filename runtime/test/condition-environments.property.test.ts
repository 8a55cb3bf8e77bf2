// Conditions share one base CEL environment (the principal) and each request
// type gets its own cheap clone, built again after it leaves a small cache.
// Whatever the order of checks, a condition sees exactly its own request
// type's fields and those of the messages it reaches, never another's, even
// when two schemas use the same message names.
import { create, createFileRegistry, type DescMessage } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCondition } from "../src/conditions/check.js";
import { compileCondition } from "../src/conditions/condition.js";

const runs = Number(process.env.FUZZ_RUNS ?? 100);
const pool = ["alpha", "beta", "gamma", "delta", "epsilon"] as const;
type FieldName = (typeof pool)[number];

interface Schema {
  readonly request: DescMessage;
  readonly own: readonly FieldName[];
  readonly inner: readonly FieldName[];
}

/** `iso.v1.Req` (fields `own` and `inner`) and `iso.v1.Inner` (fields `inner`), the same names in every schema. */
function schema(own: readonly FieldName[], inner: readonly FieldName[]): Schema {
  const int64 = (name: string, number: number) => ({
    name,
    number,
    jsonName: name,
    type: FieldDescriptorProto_Type.INT64,
    label: FieldDescriptorProto_Label.OPTIONAL,
  });
  const file = create(FileDescriptorProtoSchema, {
    name: "iso/v1/iso.proto",
    package: "iso.v1",
    syntax: "proto3",
    messageType: [
      { name: "Inner", field: inner.map((f, i) => int64(f, i + 1)) },
      {
        name: "Req",
        field: [
          ...own.map((f, i) => int64(f, i + 1)),
          { ...int64("inner", 100), type: FieldDescriptorProto_Type.MESSAGE, typeName: ".iso.v1.Inner" },
        ],
      },
    ],
  });
  const request = createFileRegistry(file, () => undefined).getMessage("iso.v1.Req");
  if (request === undefined) throw new Error("the test schema did not build");
  return { request, own, inner };
}

const principal = { kind: "user", subject: "u", scopes: [], roles: [], attributes: {} };
const fieldSet = fc.uniqueArray(fc.constantFrom(...pool), { maxLength: pool.length });

describe("condition environments", () => {
  it("a condition sees its own request type's fields, never another schema's of the same name, in any order of checks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ own: fieldSet, inner: fieldSet }), { minLength: 2, maxLength: 40 }),
        fc.array(fc.record({ schema: fc.nat(), nested: fc.boolean(), field: fc.constantFrom(...pool) }), {
          minLength: 1,
          maxLength: 60,
        }),
        (shapes, checks) => {
          const schemas = shapes.map((s) => schema(s.own, s.inner));
          for (const check of checks) {
            const target = schemas[check.schema % schemas.length] as Schema;
            const path = check.nested ? `request.inner.${check.field}` : `request.${check.field}`;
            const known = (check.nested ? target.inner : target.own).includes(check.field);
            const result = checkCondition(`${path} > 0`, target.request);
            if (known) {
              expect(result).toHaveProperty("checked");
              // And the compiled condition reads that schema's field.
              const compiled = compileCondition(`${path} > 0`, target.request);
              if (!("condition" in compiled)) throw new Error(compiled.problems[0]?.problem);
              const value = { [check.field]: 7n };
              const message = create(target.request, check.nested ? { inner: value } : value);
              expect(compiled.condition.evaluate(message, principal)).toBe(true);
            } else {
              expect(result).toHaveProperty("problems");
              const problem = "problems" in result ? result.problems[0]?.problem : "";
              expect(problem).toBe(`iso.v1.${check.nested ? "Inner" : "Req"} has no field ${check.field}`);
            }
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it("checks the principal in every request type's environment alike", () => {
    for (const s of [schema(["alpha"], []), schema(["beta"], ["gamma"])]) {
      expect(checkCondition("'admin' in principal.roles && principal.kind == 'user'", s.request)).toHaveProperty("checked");
      const result = checkCondition("principal.tenant == 'x'", s.request);
      expect("problems" in result ? result.problems[0]?.problem : "").toBe("principal has no field tenant");
    }
  });
});
