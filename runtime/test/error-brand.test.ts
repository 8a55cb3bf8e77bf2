// A second copy of protoauthz in one process (a bundled dependency, a
// duplicated install) throws errors of its own classes. The guard tells them
// by their brand, not by `instanceof` one copy's class: an authenticator from
// the other copy rejecting a token is still Unauthenticated, not Unavailable.
import { create } from "@bufbuild/protobuf";
import {
  AuthenticationError,
  AuthzConfigError,
  defineServiceAuthz,
  isAuthenticationError,
  isAuthzConfigError,
  type RelationChecker,
  RelationRefusal,
} from "protoauthz";
import { compileTables, decide } from "protoauthz/tool";
import { describe, expect, it } from "vitest";
import { createAuthzGuard } from "../../test/gen/authz_registry.js";
import { MsgSchema, WorkloadService } from "../../test/gen/guardtest/v1/guard_pb.js";
import { callers } from "../../test/support/principals.js";

const relationRule = { access: "authenticated", relations: [{ resourceType: "sandbox", idField: "sandbox_id", permission: "write" }] };
const relationTable = defineServiceAuthz(WorkloadService, {
  unary: relationRule,
  serverStream: relationRule,
  clientStream: relationRule,
  bidi: relationRule,
  get: relationRule,
} as never);

/** The errors module as a second copy of the package would load it: the same source, another module instance. */
async function secondCopy(): Promise<typeof import("../src/errors.js")> {
  // @ts-expect-error: a query makes vite load the module a second time
  return (await import("../src/errors.ts?second-copy")) as typeof import("../src/errors.js");
}

describe("errors from another copy of protoauthz", () => {
  it("are a second copy indeed: another class object", async () => {
    const other = await secondCopy();
    expect(other.AuthenticationError).not.toBe(AuthenticationError);
  });

  it("an AuthenticationError from it fails the call Unauthenticated (invalid_credentials), not Unavailable", async () => {
    const other = await secondCopy();
    const { guard } = createAuthzGuard({
      authenticate: () => {
        throw new other.AuthenticationError("token expired");
      },
    });
    const call = await guard.authorize({ procedure: "/guardtest.v1.UserService/Unary", header: new Headers(), peer: undefined });
    expect(call.decision).toMatchObject({ allowed: false, reason: "invalid_credentials", code: "unauthenticated" });
  });

  it("is recognized by instanceof and by the is… functions, in both directions", async () => {
    const other = await secondCopy();
    const foreign = new other.AuthenticationError("x");
    expect(foreign instanceof AuthenticationError).toBe(true);
    expect(isAuthenticationError(foreign)).toBe(true);
    expect(new AuthenticationError("x") instanceof other.AuthenticationError).toBe(true);
    const config = new other.AuthzConfigError([other.configProblem("here", "wrong", "fix it")]);
    expect(config instanceof AuthzConfigError).toBe(true);
    expect(isAuthzConfigError(config)).toBe(true);
    expect(String(config.problems[0])).toBe("here: wrong (fix it)");
    // Brands do not mix: neither error passes for the other, nor does a plain Error.
    expect(foreign instanceof AuthzConfigError).toBe(false);
    expect(config instanceof AuthenticationError).toBe(false);
    expect(new Error("x") instanceof AuthenticationError).toBe(false);
    expect(isAuthenticationError({ name: "AuthenticationError" })).toBe(false);
  });

  it("a RelationRefusal from it is still a refusal (PermissionDenied), not an engine failure (Unavailable)", async () => {
    // @ts-expect-error: a query makes vite load the module a second time
    const other = (await import("../src/relations.ts?second-copy")) as typeof import("../src/relations.js");
    expect(other.RelationRefusal).not.toBe(RelationRefusal);
    const refusing: RelationChecker = {
      check: () => {
        throw new other.RelationRefusal("relation_subject_unknown", "no such subject type");
      },
    };
    const entry = compileTables([relationTable]).get("/guardtest.v1.WorkloadService/Unary");
    if (entry === undefined) throw new Error("no entry");
    const decision = await decide(entry.checked, callers.sandbox, create(MsgSchema, { sandboxId: "sb-own" }), {
      checker: refusing,
      procedure: entry.procedure,
    });
    expect(decision).toMatchObject({ allowed: false, reason: "relation_subject_unknown", code: "permission_denied" });
  });

  it("a subclass keeps the ordinary instanceof", () => {
    class Expired extends AuthenticationError {}
    expect(new Expired("x") instanceof AuthenticationError).toBe(true);
    expect(new AuthenticationError("x") instanceof Expired).toBe(false);
    expect(new Expired("x") instanceof Expired).toBe(true);
  });
});
