// The table modules import service descriptors through ServiceImports, which
// asks protoplugin only for each file's first service. Whatever the names in
// a file (messages, nested ones, enums and services that clash with a
// service's name, its Schema or Json forms, reserved words), every import is
// the one protoplugin's importSchema gives, in any order of imports.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, type DescriptorProtoSchema, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ServiceImports } from "../src/service-imports.js";

const runs = Number(process.env.FUZZ_RUNS ?? 100);

/** Names chosen to clash: a service Foo against a message FooSchema, Foo_Bar against Foo.Bar, a reserved word. */
const pool = ["Foo", "FooSchema", "FooJson", "Bar", "Foo_Bar", "Object", "Baz", "BazService", "file_a_proto", "Schema"] as const;

const message = (name: string, nested: readonly string[]): MessageInitShape<typeof DescriptorProtoSchema> => ({
  name,
  nestedType: nested.map((n) => ({ name: n })),
});

const fileShape = fc.record({
  package: fc.constantFrom("", "pkg.v1"),
  // Proto names of one file share a namespace: messages, enums and services are all distinct.
  names: fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: pool.length }),
  kinds: fc.array(fc.constantFrom("message", "enum", "service"), { minLength: pool.length, maxLength: pool.length }),
  nested: fc.array(fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 3 }), { minLength: pool.length, maxLength: pool.length }),
  order: fc.array(fc.nat(), { maxLength: 12 }),
});

describe("service imports", () => {
  it("are what protoplugin's importSchema gives, whatever the names in the file", () => {
    fc.assert(
      fc.property(fileShape, (shape) => {
        const kindOf = (i: number) => shape.kinds[i] ?? "message";
        const byKind = (kind: string) => shape.names.filter((_, i) => kindOf(i) === kind);
        const services = byKind("service");
        fc.pre(services.length > 0);
        const file = create(FileDescriptorProtoSchema, {
          name: "a.proto",
          package: shape.package,
          syntax: "proto3",
          messageType: [
            { name: "Empty" },
            ...shape.names.flatMap((n, i) => (kindOf(i) === "message" ? [message(n, shape.nested[i] ?? [])] : [])),
          ],
          enumType: byKind("enum").map((name) => ({ name, value: [{ name: `${name.toUpperCase()}_UNSPECIFIED`, number: 0 }] })),
          service: services.map((name) => ({
            name,
            method: [
              {
                name: "Call",
                inputType: `${shape.package ? `.${shape.package}` : ""}.Empty`,
                outputType: `${shape.package ? `.${shape.package}` : ""}.Empty`,
              },
            ],
          })),
        });
        const plugin = createEcmaScriptPlugin({
          name: "test",
          version: "v0",
          generateTs(schema) {
            const [desc] = schema.files;
            if (desc === undefined) throw new Error("no file");
            const f = schema.generateFile("out.ts");
            const imports = new ServiceImports();
            // Every service once in declaration order, then again in the drawn order.
            const order = [...desc.services.keys(), ...shape.order.map((n) => n % desc.services.length)];
            for (const index of order) {
              const service = desc.services[index];
              if (service === undefined) continue;
              const { name, from, typeOnly } = imports.symbol(f, service);
              const expected = f.importSchema(service);
              expect({ name, from, typeOnly }).toEqual({ name: expected.name, from: expected.from, typeOnly: expected.typeOnly });
            }
          },
        });
        const response = plugin.run(
          create(CodeGeneratorRequestSchema, { fileToGenerate: ["a.proto"], protoFile: [file], parameter: "target=ts" }),
        );
        if (response.error) throw new Error(response.error);
      }),
      { numRuns: runs * 3 },
    );
  });
});
