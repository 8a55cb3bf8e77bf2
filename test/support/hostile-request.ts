import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type CodeGeneratorRequest,
  CodeGeneratorRequestSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  MethodOptionsSchema,
  ServiceOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { type Rule as RuleInit, RuleSchema } from "protoauthz/protoauthz/v1/authz_pb.js";

/**
 * CodeGeneratorRequests built straight from descriptors, with names protoc
 * would refuse: a hostile request need not come from protoc.
 */
export interface FileSpec {
  readonly name: string;
  readonly package: string;
  /** Fields of the one request message every method takes, all strings unless listed in `ints`. */
  readonly fields: readonly string[];
  readonly services: readonly ServiceSpec[];
}

export interface ServiceSpec {
  readonly name: string;
  readonly defaultRule?: RuleBytes;
  readonly methods: readonly { readonly name: string; readonly rule?: RuleBytes }[];
}

/** One or more occurrences of the rule option, each as encoded bytes. */
export type RuleBytes = readonly Uint8Array[];

export const ruleExtension = 51720;

/** The bytes of a rule option, as protoc writes it. */
export function ruleBytes(rule: Parameters<typeof create<typeof RuleSchema>>[1]): Uint8Array {
  return toBinary(RuleSchema, create(RuleSchema, rule as RuleInit));
}

function optionField(occurrences: RuleBytes) {
  return occurrences.map((payload) => ({
    no: ruleExtension,
    wireType: WireType.LengthDelimited,
    data: new BinaryWriter().bytes(payload).finish(),
  }));
}

export function hostileRequest(files: readonly FileSpec[], parameter: string): CodeGeneratorRequest {
  const protoFile = files.map((spec) => {
    const messageName = "Request";
    const typeName = `${spec.package === "" ? "" : `.${spec.package}`}.${messageName}`;
    return create(FileDescriptorProtoSchema, {
      name: spec.name,
      package: spec.package,
      syntax: "proto3",
      messageType: [
        {
          name: messageName,
          field: spec.fields.map((name, i) => ({
            name,
            jsonName: name,
            number: i + 1,
            label: FieldDescriptorProto_Label.OPTIONAL,
            type: FieldDescriptorProto_Type.STRING,
          })),
        },
      ],
      service: spec.services.map((service) => ({
        name: service.name,
        ...(service.defaultRule && {
          options: { ...create(ServiceOptionsSchema), $unknown: optionField(service.defaultRule) },
        }),
        method: service.methods.map((method) => ({
          name: method.name,
          inputType: typeName,
          outputType: typeName,
          ...(method.rule && { options: { ...create(MethodOptionsSchema), $unknown: optionField(method.rule) } }),
        })),
      })),
    });
  });
  const request = create(CodeGeneratorRequestSchema, { fileToGenerate: files.map((f) => f.name), parameter, protoFile });
  // Through the wire, as a plugin receives it.
  return fromBinary(CodeGeneratorRequestSchema, toBinary(CodeGeneratorRequestSchema, request));
}
