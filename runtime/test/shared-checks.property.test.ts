// Validation type-checks a condition once for all request types and
// conditions that agree on the types of the fields it reads and on its syntax
// tree but for number values. Whatever the request types, expressions
// and order of checks, the problems it reports are exactly those of checking
// each condition on its own request type, so sharing can never let an
// expression through on a type where it does not check.
import { create, createFileRegistry, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as Type } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCondition } from "../src/conditions/check.js";
import { ConditionChecks } from "../src/conditions/shared-check.js";

const runs = Number(process.env.FUZZ_RUNS ?? 100);

const names = ["amount", "account_id", "tags", "labels", "inner", "state"] as const;
type FieldName = (typeof names)[number];

/** The types a field of the random request types can have. */
const kinds = {
  int64: { type: Type.INT64 },
  uint64: { type: Type.UINT64 },
  double: { type: Type.DOUBLE },
  string: { type: Type.STRING },
  bool: { type: Type.BOOL },
  optionalInt: { type: Type.INT64, proto3Optional: true },
  strings: { type: Type.STRING, label: Label.REPEATED },
  ints: { type: Type.INT64, label: Label.REPEATED },
  inner: { type: Type.MESSAGE, typeName: ".share.v1.Inner" },
  // Same field names as Inner, other types.
  other: { type: Type.MESSAGE, typeName: ".share.v1.Other" },
  inners: { type: Type.MESSAGE, typeName: ".share.v1.Inner", label: Label.REPEATED },
  labels: { type: Type.MESSAGE, typeName: ".share.v1.Req0.LabelsEntry", label: Label.REPEATED },
  state: { type: Type.ENUM, typeName: ".share.v1.State" },
  any: { type: Type.MESSAGE, typeName: ".google.protobuf.Any" },
} as const;
type Kind = keyof typeof kinds;

/**
 * Request types Req0…ReqN in one file, each with its own fields; map entries
 * stay in Req0. Inner's field types vary between calls: its full name is the
 * same in every registry, so only what a path reads through it tells them apart.
 */
function requestTypes(
  shapes: readonly (readonly [FieldName, Kind])[][],
  inner: readonly [Kind, Kind] = ["int64", "string"],
): DescMessage[] {
  const field = (name: string, number: number, kind: Kind) => ({
    name,
    number,
    jsonName: name,
    label: Label.OPTIONAL,
    ...kinds[kind],
    ...("proto3Optional" in kinds[kind] && { oneofIndex: 0 }),
  });
  const file = create(FileDescriptorProtoSchema, {
    name: "share/v1/share.proto",
    package: "share.v1",
    syntax: "proto3",
    dependency: ["google/protobuf/any.proto"],
    enumType: [{ name: "State", value: [{ name: "STATE_UNSPECIFIED", number: 0 }] }],
    messageType: [
      { name: "Inner", field: [field("amount", 1, inner[0]), field("account_id", 2, inner[1])] },
      { name: "Other", field: [field("amount", 1, "string"), field("account_id", 2, "int64")] },
      ...shapes.map((fields, index) => ({
        name: `Req${index}`,
        field: fields.map(([name, kind], i) => field(name, i + 1, kind)),
        oneofDecl: fields.some(([, kind]) => kind === "optionalInt") ? [{ name: "_amount" }] : [],
        nestedType: [
          {
            name: "LabelsEntry",
            options: { mapEntry: true },
            field: [field("key", 1, "string"), field("value", 2, "string")],
          },
        ],
      })),
    ],
  });
  const anyFile = create(FileDescriptorProtoSchema, {
    name: "google/protobuf/any.proto",
    package: "google.protobuf",
    syntax: "proto3",
    messageType: [{ name: "Any", field: [field("type_url", 1, "string"), { ...field("value", 2, "string"), type: Type.BYTES }] }],
  });
  const registry = createFileRegistry(create(FileDescriptorProtoSchema, anyFile), (name) =>
    name === "google/protobuf/any.proto" ? createFileRegistry(anyFile, () => undefined).getFile(name) : undefined,
  );
  const withFile = createFileRegistry(file, (name) => registry.getFile(name));
  return shapes.map((_, index) => withFile.getMessage(`share.v1.Req${index}`) as DescMessage);
}

const kind = fc.constantFrom(...(Object.keys(kinds) as Kind[]));
const scalarKind = fc.constantFrom<Kind>("int64", "string", "double", "strings");
const shape = fc.uniqueArray(fc.tuple(fc.constantFrom(...names), kind), { selector: ([name]) => name, maxLength: names.length });

const field = fc.constantFrom(...names, "nope");
const literal = fc.constantFrom("1", "7", "1u", "2u", "1.0", "2.5", "'a'", "'b'", "true", "null", "[]", "['a']", "[2]");
const op = fc.constantFrom("==", "!=", "<", ">=", "in", "+");
const operand = fc.oneof(
  field.map((f) => `request.${f}`),
  fc.tuple(field, fc.constantFrom("amount", "account_id", "nope")).map(([f, g]) => `request.${f}.${g}`),
  field.map((f) => `request.${f}[0]`),
  field.map((f) => `request.${f}['k']`),
  // A string literal can name a field: its value decides the check.
  fc.constantFrom("request.inner['amount']", "request.inner['nope']", "[request.inner][0]['account_id']"),
  field.map((f) => `size(request.${f})`),
  field.map((f) => `has(request.${f})`),
  field.map((f) => `request.${f}.all(x, x == 'a')`),
  field.map((f) => `request.${f}.exists(x, x.amount > 0)`),
  field.map((f) => `request.${f}.exists(x, request.tags.exists(y, y == x))`),
  field.map((f) => `[1].exists(request, request.${f} > 0)`),
  field.map((f) => `[request.inner].exists(request, request.${f} > 0)`),
  // request itself, then a field of it: the check depends on the whole type.
  field.map((f) => `[request][0].${f}`),
  field.map((f) => `(true ? request : request).${f}`),
  fc.constantFrom("request", "principal.kind", "principal.roles", "principal.attributes['a']", "principal.nope", "nobody"),
  literal,
);
const expression = fc.oneof(
  fc.tuple(operand, op, operand).map(([a, o, b]) => `${a} ${o} ${b}`),
  fc
    .tuple(operand, op, operand, fc.constantFrom("&&", "||"), operand, op, literal)
    .map(([a, o, b, join, c, p, l]) => `${a} ${o} ${b} ${join} ${c} ${p} ${l}`),
  operand,
  fc.constantFrom("'admn' in principal.roles && request.amount > 0", "principal.kind == 'robot' || request.tags.size() > 0"),
);

const problemsOf = (expression: string, request: DescMessage, vocabulary = {}) => {
  const result = checkCondition(expression, request, vocabulary);
  return "problems" in result ? result.problems : [];
};

describe("condition checks shared between request types", () => {
  // One validator's checks across every run: what one registry's check learned must not leak to another's types.
  const checks = new ConditionChecks();
  const conditionProblems = checks.problems.bind(checks);

  it("report exactly what checking each condition on its own request type reports, in any order", () => {
    fc.assert(
      fc.property(
        fc.array(shape, { minLength: 2, maxLength: 6 }),
        fc.tuple(scalarKind, scalarKind),
        fc.array(fc.tuple(expression, fc.nat(), fc.boolean()), { minLength: 1, maxLength: 30 }),
        (shapes, inner, checks) => {
          const requests = requestTypes(shapes, inner);
          const vocabulary = { roles: ["admin"], principals: ["user"] };
          for (const [text, which, withVocabulary] of checks) {
            const request = requests[which % requests.length] as DescMessage;
            const closed = withVocabulary ? vocabulary : {};
            expect(conditionProblems(text, request, closed)).toEqual(problemsOf(text, request, closed));
          }
        },
      ),
      { numRuns: runs * 3 },
    );
  });

  it("tells request types apart by the types along a path, through messages of one name", () => {
    const path = fc.constantFrom(
      "request.inner['amount']",
      "request.inner['nope']",
      "request.inner.amount",
      "request.inner.account_id",
      "request.inner",
      // Inner used whole, then read: its identity decides.
      "[request.inner][0].amount",
      "(true ? request.inner : request.inner).account_id",
    );
    const check = fc.tuple(path, op, fc.oneof(literal, path), fc.boolean());
    fc.assert(
      fc.property(
        fc.tuple(scalarKind, scalarKind),
        fc.tuple(scalarKind, scalarKind),
        fc.array(check, { minLength: 1, maxLength: 20 }),
        (one, two, checks) => {
          // Two registries: Inner has one full name and different field types in each.
          const requests = [requestTypes([[["inner", "inner"]]], one)[0], requestTypes([[["inner", "inner"]]], two)[0]] as DescMessage[];
          for (const [left, o, right, second] of checks) {
            const request = requests[second ? 1 : 0] as DescMessage;
            const text = `${left} ${o} ${right}`;
            expect(conditionProblems(text, request)).toEqual(problemsOf(text, request));
          }
        },
      ),
      { numRuns: runs * 3 },
    );
  });

  it("checks a condition once for request types that read alike, and again where a read field's type differs", () => {
    const [a, b, c] = requestTypes([
      [
        ["amount", "int64"],
        ["tags", "strings"],
      ],
      [
        ["amount", "int64"],
        ["account_id", "string"],
      ],
      [["amount", "string"]],
    ]) as [DescMessage, DescMessage, DescMessage];
    const text = "request.amount <= 100";
    expect(conditionProblems(text, a)).toEqual([]);
    expect(conditionProblems(text, b)).toEqual([]);
    // c's amount is a string: the shared success must not reach it.
    expect(conditionProblems(text, c).map((p) => p.problem)).toEqual([expect.stringMatching(/^type error: /)]);
    // Over the length limit: refused before anything parses it, shared or not.
    const long = Array.from({ length: 300 }, () => text).join(" && ");
    expect(conditionProblems(long, a).map((p) => p.problem)).toEqual([`condition is ${long.length} characters long`]);
    // Read through request itself, not a field of it: never shared.
    const whole = "[request][0].amount <= 100";
    expect(conditionProblems(whole, a)).toEqual([]);
    expect(conditionProblems(whole, c).map((p) => p.problem)).toEqual([expect.stringMatching(/^type error: /)]);
  });
});
