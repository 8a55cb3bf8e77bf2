// Conditions share one base CEL environment (the principal) and each request
// type gets its own cheap clone, built again after it leaves a small cache,
// in which a message type the request reaches is declared when a condition
// first reads it. Whatever the order of checks, a condition sees exactly its
// own request type's fields and those of the messages it reaches, never
// another's, even when two schemas use the same message names; and what is
// declared so far never changes a check's outcome.
import { create, createFileRegistry, type DescMessage } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PaymentSchema } from "../../test/gen/conditionstest/v1/conditions_pb.js";
import type { Node } from "../src/conditions/ast.js";
import { children } from "../src/conditions/ast.js";
import { type CheckResult, checkCondition } from "../src/conditions/check.js";
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

  it("a check has the same outcome whatever message types earlier checks declared", () => {
    // Two copies of conditionstest.v1.Payment: one fresh for every expression, one with every type it reaches declared.
    const copy = () => {
      const file = PaymentSchema.file;
      const registry = createFileRegistry(file.proto, (name) => file.dependencies.find((d) => d.name === name.replace(/\.proto$/, "")));
      const message = registry.getMessage(PaymentSchema.typeName);
      if (message === undefined) throw new Error("no Payment in the copy");
      return message;
    };
    const declared = copy();
    const warm = "request.money.units == 0 && request.to_card.card_id == '' && request.splits.all(s, s.nanos == 0)";
    expect(checkCondition(warm, declared)).toHaveProperty("checked");
    const fields = fc.constantFrom("money", "to_card", "splits", "tags", "labels", "amount", "page_size", "nope");
    const inner = fc.constantFrom("units", "currency", "nanos", "card_id", "nope");
    const literal = fc.constantFrom("1", "1u", "1.0", "'a'", "true", "null");
    const op = fc.constantFrom("==", "!=", "<", ">=", "in");
    const path = fc.oneof(
      fields.map((f) => `request.${f}`),
      fc.tuple(fields, inner).map(([f, g]) => `request.${f}.${g}`),
      inner.map((g) => `request.splits[0].${g}`),
      fc.tuple(inner, op, literal).map(([g, o, l]) => `request.splits.exists(s, s.${g} ${o} ${l})`),
      fc.tuple(fields, inner).map(([f, g]) => `has(request.${f}.${g})`),
      fc.constantFrom("principal.kind", "principal.roles", "principal.nope"),
    );
    const expression = fc.oneof(
      fc.tuple(path, op, literal).map(([a, o, l]) => `${a} ${o} ${l}`),
      fc.tuple(path, op, path).map(([a, o, b]) => `${a} ${o} ${b}`),
      path,
    );
    fc.assert(
      fc.property(expression, (text) => {
        expect(outcome(checkCondition(text, copy()))).toEqual(outcome(checkCondition(text, declared)));
      }),
      { numRuns: runs * 3 },
    );
  });
});

/** A check's outcome, comparable across environments: every problem, or the type of every node. */
function outcome(result: CheckResult): unknown {
  if ("problems" in result) return result.problems;
  const types = (node: Node): unknown => [node.op, node.checkedType?.name, children(node).map(types)];
  return types(result.checked.ast);
}
