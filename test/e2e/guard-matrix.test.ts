// Every access mode × caller × call kind, over Connect, gRPC and gRPC-web
// (connect-node) and gRPC (grpc-js server), with a synchronous and an async
// authenticator. Each denial asserts its code and that the handler never ran:
// not even a stream handler whose call its bindings deny.
import type { DescService } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClosedService, ConditionService, PublicService, UserService } from "../gen/guardtest/v1/guard_pb.js";
import { Code, callKinds, callOnce, connectTo, type Protocol } from "../support/clients.js";
import { authenticateAsync, type CallerName, callers, headersFor } from "../support/principals.js";
import { newObserved, type Observed, type Running, services, startConnectServer, startGrpcServer } from "../support/servers.js";

type Outcome = "ok" | Code;

/** A caller and the sandbox its messages name. */
interface Case {
  readonly caller: CallerName;
  readonly ids: readonly string[];
  readonly label: string;
}

const cases: readonly Case[] = [
  ...(
    [
      "anonymous",
      "badToken",
      "brokenAuthenticator",
      "brokenPrincipal",
      "user",
      "userNoScope",
      "userNoRole",
      "superUser",
      "service",
    ] as const
  ).map((caller) => ({
    caller,
    ids: ["sb-own", "sb-own"],
    label: caller,
  })),
  { caller: "sandbox", ids: ["sb-own", "sb-own"], label: "own sandbox" },
  { caller: "sandbox", ids: ["sb-other", "sb-other"], label: "foreign sandbox" },
  { caller: "sandbox", ids: ["", ""], label: "sandbox, empty id" },
  { caller: "sandboxNoAttribute", ids: ["sb-own", "sb-own"], label: "sandbox without attribute" },
  { caller: "sandboxAdmin", ids: ["sb-adm", "sb-adm"], label: "sandbox admin without attribute" },
  { caller: "superUser", ids: ["sb-frozen", "sb-frozen"], label: "admin, frozen sandbox" },
];

/** The reference: what each service's rule must answer each case. */
function expected(service: DescService, { caller, ids }: Case): Outcome {
  if (service === ClosedService) return Code.PermissionDenied; // deny never authenticates
  if (caller === "badToken") return Code.Unauthenticated;
  if (caller === "brokenAuthenticator" || caller === "brokenPrincipal") return Code.Unavailable;
  if (service === PublicService) return "ok";
  if (caller === "anonymous") return Code.Unauthenticated;
  if (service === UserService) return caller === "user" || caller === "superUser" ? "ok" : Code.PermissionDenied;
  if (service === ConditionService) return conditionsAdmit(caller, ids[0] ?? "") ? "ok" : Code.PermissionDenied;
  // WorkloadService: sandboxes, about themselves.
  return caller === "sandbox" && ids[0] === "sb-own" ? "ok" : Code.PermissionDenied;
}

/** ConditionService's any_of, as plainly as the proto says it; a condition that cannot be evaluated admits nothing. */
function conditionsAdmit(caller: CallerName, id: string): boolean {
  if (!Object.hasOwn(callers, caller)) return false;
  const principal = callers[caller as keyof typeof callers];
  const attributes: Record<string, string> = principal.attributes;
  const own = principal.kind === "sandbox" && id.startsWith("sb-") && attributes.sandbox_id === id;
  const admin = (principal.roles as readonly string[]).includes("admin") && id !== "sb-frozen";
  return own || admin;
}

const servers: Record<string, { protocol: Protocol; start: (seen: Observed) => Promise<Running> }> = {
  "connect-node / Connect": { protocol: "connect", start: startConnectServer },
  "connect-node / gRPC": { protocol: "grpc", start: startConnectServer },
  "connect-node / gRPC-web": { protocol: "grpc-web", start: startConnectServer },
  "grpc-js / gRPC": { protocol: "grpc", start: startGrpcServer },
  "connect-node / Connect, async authenticator": {
    protocol: "connect",
    start: (seen) => startConnectServer(seen, { authenticate: authenticateAsync }),
  },
  "grpc-js / gRPC, async authenticator": { protocol: "grpc", start: (seen) => startGrpcServer(seen, { authenticate: authenticateAsync }) },
};

for (const [name, { protocol, start }] of Object.entries(servers)) {
  describe(name, () => {
    const seen = newObserved();
    let server: Running;
    let client: ReturnType<typeof connectTo>;
    beforeAll(async () => {
      server = await start(seen);
      client = connectTo(server.url, protocol);
    });
    afterAll(async () => {
      client.close();
      await server.close();
    });

    for (const service of services) {
      for (const c of cases) {
        it(`${service.name} × ${c.label}`, async () => {
          for (const kind of callKinds) {
            const invocations = seen.invocations.length;
            const messages = seen.messages.length;
            const want = expected(service, c);
            const got = await callOnce(client.transport, service, kind, headersFor(c.caller), c.ids);
            expect({ kind, got: label(got) }).toEqual({ kind, got: label(want) });
            if (want === "ok") {
              expect(seen.invocations.length, kind).toBe(invocations + 1);
            } else {
              expect(seen.messages.length, `${kind}: a denied message reached the handler`).toBe(messages);
              expect(seen.invocations.length, `${kind}: handler ran`).toBe(invocations);
            }
          }
        });
      }
    }
  });
}

const label = (outcome: Outcome) => (outcome === "ok" ? "ok" : Code[outcome]);
