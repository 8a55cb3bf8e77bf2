export { createGrpcInterceptor } from "./interceptor.js";
export { grpcServiceDefinition } from "./service-definition.js";
