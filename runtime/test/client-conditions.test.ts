// canCall decides a rule with conditions offline with the guard's own
// compiled conditions: true, false (condition_false) and error
// (condition_error) as the guard would, "request_needed" without a request.
import { create } from "@bufbuild/protobuf";
import { defineServiceAuthz, type Principal } from "protoauthz";
import { canCall, requirementsOf } from "protoauthz/client";
import { describe, expect, it } from "vitest";
import { MsgSchema, UserService } from "../../test/gen/guardtest/v1/guard_pb.js";

const rule = {
  access: "authenticated",
  principals: ["user"],
  conditions: ["request.text != 'frozen'", "principal.attributes['tenant'] == request.sandbox_id"],
} as const;
const table = defineServiceAuthz(UserService, { unary: rule, serverStream: rule, clientStream: rule, bidi: rule });
const alice: Principal = { kind: "user", subject: "alice", scopes: [], roles: [], attributes: { tenant: "t-1" } };
const noTenant: Principal = { ...alice, attributes: {} };

describe("canCall with conditions", () => {
  it("answers as the guard would", () => {
    expect(canCall(alice, table, "unary", create(MsgSchema, { text: "ok", sandboxId: "t-1" }))).toMatchObject({ allowed: true });
    expect(canCall(alice, table, "unary", create(MsgSchema, { text: "frozen", sandboxId: "t-1" }))).toMatchObject({
      allowed: false,
      reason: "condition_false",
      condition: { index: 1, expression: "request.text != 'frozen'" },
    });
    expect(canCall(noTenant, table, "unary", create(MsgSchema, { text: "ok", sandboxId: "t-1" }))).toMatchObject({
      allowed: false,
      reason: "condition_error",
      condition: { index: 2 },
      detail: "no such key: tenant",
    });
  });

  it("needs the request to decide", () => {
    expect(canCall(alice, table, "unary")).toEqual({ allowed: "unknown", reason: "request_needed" });
  });

  it("lists the conditions among the requirements", () => {
    expect(requirementsOf(table, "unary").alternatives[0]?.conditions).toEqual(rule.conditions);
  });
});
