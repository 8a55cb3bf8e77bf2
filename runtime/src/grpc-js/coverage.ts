import { configError } from "../errors.js";

/**
 * The procedures added to a grpc-js server with addService / register, for
 * checkCoverage / assertCoverage from "protoauthz". Reads the server's
 * handler map, which grpc-js does not document: when a release changes it,
 * this says so instead of reporting an empty server.
 */
export function servedByGrpcServer(server: object): string[] {
  const handlers = (server as { handlers?: unknown }).handlers;
  if (!(handlers instanceof Map)) {
    throw configError(
      "servedByGrpcServer",
      "cannot read this grpc-js server's handlers",
      'pass its procedures ("/pkg.Service/Method") to checkCoverage instead',
      "coverage cannot be checked",
    );
  }
  return [...handlers.keys()] as string[];
}
