import { join } from "node:path";
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { buildRequest, repoRoot } from "./request.js";

/** grpc.health.v1.Health, compiled by buf: a descriptor we did not generate. */
export function healthService(): DescService {
  const request = buildRequest(join(repoRoot, "test/fixtures/health"), "");
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
  const service = registry.getService("grpc.health.v1.Health");
  if (service === undefined) throw new Error("grpc.health.v1.Health not found");
  return service;
}
