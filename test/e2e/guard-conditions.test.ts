// Conditions through real servers (Connect, gRPC, gRPC-web on connect-node;
// gRPC on grpc-js): what the audit event says for false and error, the
// generic message the client sees, any_of falling through an erroring
// alternative, every message of a stream; and, in the decision core, that
// a failed condition never reaches the relation engine; and a table in code
// whose condition does not compile stops the guard at start.
import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { AuthzConfigError, createGuard, defineServiceAuthz, type RelationChecker } from "protoauthz";
import { checkRule, compileTables, decide } from "protoauthz/tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConditionService, MsgSchema, UserService } from "../gen/guardtest/v1/guard_pb.js";
import { Code, callOnce, connectTo, type Protocol } from "../support/clients.js";
import { authenticate, callers, headersFor } from "../support/principals.js";
import { newObserved, type Observed, type Running, startConnectServer, startGrpcServer } from "../support/servers.js";

const transports: Record<string, { protocol: Protocol; start: (seen: Observed) => Promise<Running> }> = {
  "connect-node / Connect": { protocol: "connect", start: startConnectServer },
  "connect-node / gRPC": { protocol: "grpc", start: startConnectServer },
  "connect-node / gRPC-web": { protocol: "grpc-web", start: startConnectServer },
  "grpc-js / gRPC": { protocol: "grpc", start: startGrpcServer },
};

const ownSandbox = "principal.attributes['sandbox_id'] == request.sandbox_id";

for (const [name, { protocol, start }] of Object.entries(transports)) {
  describe(`${name}: conditions`, () => {
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
    const denials = () => seen.events.filter((e) => !e.allowed);

    it("false: PermissionDenied, audited as condition_false with the condition's index and text", async () => {
      seen.events.length = 0;
      expect(await callOnce(client.transport, ConditionService, "unary", headersFor("superUser"), ["sb-frozen"])).toBe(
        Code.PermissionDenied,
      );
      expect(denials()).toMatchObject([
        {
          reason: "condition_false",
          code: "permission_denied",
          alternative: 2,
          condition: { index: 1, expression: "request.sandbox_id != 'sb-frozen'" },
        },
      ]);
    });

    it("error: PermissionDenied, audited as condition_error with the CEL error in detail; the client sees the generic message", async () => {
      seen.events.length = 0;
      const service = createClient(ConditionService, client.transport);
      const error = await service.unary({ sandboxId: "sb-x" }, { headers: headersFor("sandboxNoAttribute") }).catch((e: unknown) => e);
      expect(ConnectError.from(error).code).toBe(Code.PermissionDenied);
      expect(ConnectError.from(error).rawMessage).toBe("permission denied");
      expect(denials()).toMatchObject([
        { reason: "condition_error", alternative: 1, condition: { index: 2, expression: ownSandbox }, detail: "no such key: sandbox_id" },
      ]);
    });

    it("any_of: an alternative whose condition errors admits nothing, and the next one is still tried", async () => {
      seen.events.length = 0;
      expect(await callOnce(client.transport, ConditionService, "unary", headersFor("sandboxAdmin"), ["sb-adm"])).toBe("ok");
      expect(seen.events).toMatchObject([{ allowed: true, reason: "authorized", alternative: 2 }]);
    });

    for (const kind of ["clientStream", "bidi"] as const) {
      it(`${kind}: every message is held to the conditions; a later one that fails ends the call`, async () => {
        seen.events.length = 0;
        const messages = seen.messages.length;
        expect(await callOnce(client.transport, ConditionService, kind, headersFor("sandbox"), ["sb-own", "sb-own", "sb-own"])).toBe("ok");
        expect(seen.messages.length).toBe(messages + 3);
        seen.events.length = 0;
        // The admin alternative admits the first message; the second names the frozen sandbox.
        expect(await callOnce(client.transport, ConditionService, kind, headersFor("service"), ["sb-1", "sb-frozen", "sb-2"])).toBe(
          Code.PermissionDenied,
        );
        expect(denials()).toMatchObject([{ reason: "condition_false", alternative: 2, condition: { index: 1 } }]);
        expect(seen.messages).not.toContain("sb-frozen");
      });
    }
  });
}

describe("conditions in the decision core", () => {
  const counting = () => {
    const asked: unknown[] = [];
    const checker: RelationChecker = {
      check: async (_p, queries) => {
        asked.push(queries);
        return queries.map(() => true);
      },
    };
    return { asked, checker };
  };
  const rule = {
    access: "authenticated" as const,
    conditions: ["request.text != 'no'"],
    relations: [{ resourceType: "doc", idField: "sandbox_id", permission: "read" }],
  };

  it("a failed condition never reaches the relation engine; a true one asks it once", async () => {
    const entry = compileTables([
      defineServiceAuthz(UserService, { unary: rule, serverStream: rule, clientStream: rule, bidi: rule } as never),
    ]).get("/guardtest.v1.UserService/Unary");
    if (entry === undefined) throw new Error("no entry");
    const { asked, checker } = counting();
    const engine = { checker, procedure: "/guardtest.v1.UserService/Unary" };
    const denied = await decide(entry.checked, callers.user, create(MsgSchema, { sandboxId: "d-1", text: "no" }), engine);
    expect(denied).toMatchObject({ allowed: false, reason: "condition_false" });
    expect(asked).toHaveLength(0);
    const allowed = await decide(entry.checked, callers.user, create(MsgSchema, { sandboxId: "d-1", text: "yes" }), engine);
    expect(allowed).toMatchObject({ allowed: true });
    expect(asked).toHaveLength(1);
  });

  it("a rule with conditions cannot be prepared without a compiler: never silently dropped", () => {
    expect(() => checkRule(rule, () => ({ read: () => undefined, integer: false }))).toThrow(/no condition compiler/);
  });
});

describe("a table in code whose condition does not compile", () => {
  it("stops the guard at start with an AuthzConfigError showing the expression and a caret", () => {
    const bad = { access: "authenticated" as const, conditions: ["request.sandbox_idd == principal.subject"] };
    let error: unknown;
    try {
      createGuard([defineServiceAuthz(UserService, { unary: bad, serverStream: bad, clientStream: bad, bidi: bad })], { authenticate });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthzConfigError);
    expect(String((error as AuthzConfigError).problems[0])).toBe(
      "guardtest.v1.UserService.Unary: condition 1: guardtest.v1.Msg has no field sandbox_idd (use one of its fields by proto name: sandbox_id, text, tenant_number)\n" +
        "    request.sandbox_idd == principal.subject\n" +
        "            ^",
    );
  });
});
