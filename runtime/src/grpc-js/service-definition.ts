import { create, type DescService, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/**
 * A grpc-js service definition for a protobuf-es service, built from its
 * descriptor: paths "/pkg.Service/Method", binary protobuf serialization.
 * Implementations are keyed by the method's local name (`getPolicy`) and may
 * answer with plain objects; they go through create() before serializing.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const { input, output } = method;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: (message) => Buffer.from(toBinary(input, create(input, message as MessageInitShape<typeof input>))),
      requestDeserialize: (bytes) => fromBinary(input, bytes),
      responseSerialize: (message) => Buffer.from(toBinary(output, create(output, message as MessageInitShape<typeof output>))),
      responseDeserialize: (bytes) => fromBinary(output, bytes),
    };
  }
  return definition;
}
