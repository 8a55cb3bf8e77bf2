// Router coverage in both directions, over real routers and grpc-js servers:
// the test a user adds to their suite.
import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { AuthzCoverageError, assertCoverage, checkCoverage } from "protoauthz";
import { servedByConnectRouter } from "protoauthz/connect";
import { grpcServiceDefinition, servedByGrpcServer } from "protoauthz/grpc-js";
import { describe, expect, it } from "vitest";
import { createAuthzGuard } from "../gen/authz_registry.js";
import { ClosedService, ConditionService, PublicService, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { healthService } from "../support/health.js";
import { authenticate } from "../support/principals.js";
import { newObserved, routes } from "../support/servers.js";

const guard = createAuthzGuard({ authenticate });

function router(register: (router: ConnectRouter) => void) {
  const r = createConnectRouter();
  register(r);
  return r;
}

describe("Connect router", () => {
  it("a router serving exactly the guarded services passes", () => {
    const served = servedByConnectRouter(router(routes(newObserved())));
    expect(checkCoverage(guard, served)).toEqual({ unguarded: [], unserved: [] });
    expect(() => assertCoverage(guard, served)).not.toThrow();
  });

  it("reports a served method without a rule and rules for methods not served, together", () => {
    const Health = healthService();
    const served = servedByConnectRouter(
      router((r) => {
        r.service(PublicService, {} as never);
        r.service(UserService, {} as never);
        r.service(WorkloadService, {} as never);
        r.service(ConditionService, {} as never);
        r.service(Health, {} as never);
      }),
    );
    const coverage = checkCoverage(guard, served);
    expect(coverage.unguarded).toEqual(["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"]);
    expect(coverage.unserved).toEqual(ClosedService.methods.map((m) => `/guardtest.v1.ClosedService/${m.name}`).sort());
    expect(() => assertCoverage(guard, served)).toThrow(AuthzCoverageError);
    expect(() => assertCoverage(guard, served)).toThrow(
      /served without a rule: \/grpc\.health\.v1\.Health\/Check[\s\S]*rule for a method not served: \/guardtest\.v1\.ClosedService\/Bidi/,
    );
  });

  it("methods deliberately served elsewhere can be allowed", () => {
    const served = servedByConnectRouter(
      router((r) => {
        for (const s of [PublicService, UserService, WorkloadService, ConditionService]) r.service(s as typeof PublicService, {} as never);
      }),
    );
    const elsewhere = ClosedService.methods.map((m) => `/guardtest.v1.ClosedService/${m.name}`);
    expect(() => assertCoverage(guard, served, { allowUnserved: elsewhere })).not.toThrow();
  });
});

describe("grpc-js server", () => {
  it("reads what was added with addService", () => {
    const server = new grpc.Server({ interceptors: [guard.grpc] });
    for (const service of [PublicService, UserService, WorkloadService, ConditionService, ClosedService])
      server.addService(grpcServiceDefinition(service), {});
    expect(checkCoverage(guard, servedByGrpcServer(server))).toEqual({ unguarded: [], unserved: [] });
    const partial = new grpc.Server({ interceptors: [guard.grpc] });
    partial.addService(grpcServiceDefinition(PublicService), {});
    partial.addService(grpcServiceDefinition(healthService()), {});
    const coverage = checkCoverage(guard, servedByGrpcServer(partial));
    expect(coverage.unguarded).toEqual(["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"]);
    expect(coverage.unserved).toContain("/guardtest.v1.WorkloadService/Get");
  });
});
