export { servedByGrpcServer } from "./coverage.js";
export { createGrpcInterceptor } from "./interceptor.js";
export { type GrpcHandler, type GrpcServiceImplementation, grpcServiceDefinition } from "./service-definition.js";
