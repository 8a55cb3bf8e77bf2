import {
  create,
  type DescMessage,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  MethodDefinition,
  ServiceDefinition,
} from "@grpc/grpc-js";

/** The grpc-js handler of one method: requests as messages, responses as messages or plain objects. */
export type GrpcHandler<M> = M extends { readonly input: infer I extends DescMessage; readonly output: infer O extends DescMessage }
  ? M extends { readonly methodKind: "unary" }
    ? handleUnaryCall<MessageShape<I>, MessageInitShape<O>>
    : M extends { readonly methodKind: "server_streaming" }
      ? handleServerStreamingCall<MessageShape<I>, MessageInitShape<O>>
      : M extends { readonly methodKind: "client_streaming" }
        ? handleClientStreamingCall<MessageShape<I>, MessageInitShape<O>>
        : handleBidiStreamingCall<MessageShape<I>, MessageInitShape<O>>
  : never;

/**
 * Typed handlers for every method of a generated service, keyed by local
 * name (`getPolicy`). grpc-js's addService takes untyped handlers; declare
 * them with this type (or `satisfies` it) to have call and callback typed.
 */
export type GrpcServiceImplementation<S extends DescService> = {
  [K in keyof S["method"]]: GrpcHandler<S["method"][K]>;
};

/**
 * A grpc-js service definition for a protobuf-es service, built from its
 * descriptor: paths "/pkg.Service/Method", binary protobuf serialization.
 * Implementations are keyed by the method's local name (`getPolicy`) and may
 * answer with plain objects; they go through create() before serializing.
 */
export function grpcServiceDefinition<S extends DescService>(service: S): ServiceDefinition<GrpcServiceImplementation<S>> {
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
  return definition as ServiceDefinition<GrpcServiceImplementation<S>>;
}
