// Binding accessors read fields by names that come from descriptors, which a
// hostile CodeGeneratorRequest controls: whatever the name, the accessor is
// one arrow function that reads that property and nothing else.
import { create, type DescMessage, toBinary } from "@bufbuild/protobuf";
import { fileDesc } from "@bufbuild/protobuf/codegenv2";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { emitAccessor } from "../src/emit-accessor.js";

describe("accessor names", () => {
  // Names come from descriptors, which a hostile CodeGeneratorRequest controls.
  const hostile = ["x*/y", 'a"b', "c\u2028d", "e`$" + "{f}`", "constructor", "my field; globalThis.pwned = 1", "\u202eok", "__proto__"];
  // createFileRegistry refuses such names since protobuf-es 2.17, but the
  // plugin supports protoplugin ^2.13, which does not: build the descriptor
  // the way generated code embeds it, unvalidated.
  const hostileFile = fileDesc(
    Buffer.from(
      toBinary(
        FileDescriptorProtoSchema,
        create(FileDescriptorProtoSchema, {
          name: "hostile.proto",
          package: "h",
          syntax: "proto3",
          messageType: [
            {
              name: "Req",
              oneofDecl: [{ name: 'g"*/' }],
              field: hostile.map((name, i) => ({
                name,
                number: i + 1,
                type: FieldDescriptorProto_Type.STRING,
                label: FieldDescriptorProto_Label.OPTIONAL,
                ...(i % 2 === 1 ? { oneofIndex: 0 } : {}),
              })),
            },
          ],
        }),
      ),
    ).toString("base64"),
  );

  it("are one arrow function that reads the named property, whatever the name", () => {
    for (const field of (hostileFile.messages[0] as DescMessage).fields) {
      const text = emitAccessor([field]);
      const statements = ts.createSourceFile("a.ts", `(${text});`, ts.ScriptTarget.ES2022).statements;
      expect(statements.length, text).toBe(1);
      const statement = statements[0];
      expect(statement && ts.isExpressionStatement(statement) && ts.isParenthesizedExpression(statement.expression), text).toBe(true);
      const read = new Function(`return ${text}`)() as (request: unknown) => unknown;
      const request =
        field.oneof === undefined ? { [field.localName]: "v" } : { [field.oneof.localName]: { case: field.localName, value: "v" } };
      expect(read(request), text).toBe("v");
      expect(text).not.toMatch(/[\u2028\u2029]/);
    }
    expect("pwned" in globalThis).toBe(false);
  });
});
