// The WorkloadService rules and engine facts the relation tests share.
import { defineServiceAuthz } from "protoauthz";
import { WorkloadService } from "../gen/guardtest/v1/guard_pb.js";

export const writeSandbox = { resourceType: "sandbox", idField: "sandbox_id", permission: "write" } as const;
export const tenantMember = { resourceType: "tenant", idField: "tenant_number", permission: "member" } as const;

/** "The sandbox itself, a user who may write to it, or an admin"; streams by relation only. */
export const workloadAuthz = defineServiceAuthz(WorkloadService, {
  unary: {
    access: "any_of",
    alternatives: [
      { principals: ["sandbox"], bindings: [{ field: "sandbox_id", attribute: "sandbox_id" }] },
      { principals: ["user"], relations: [writeSandbox] },
      { principals: ["user"], roles: ["admin"] },
    ],
  },
  serverStream: { access: "authenticated", principals: ["user"], scopes: ["things.read"], relations: [writeSandbox, tenantMember] },
  clientStream: { access: "authenticated", principals: ["user"], relations: [writeSandbox] },
  bidi: { access: "authenticated", principals: ["user"], relations: [writeSandbox] },
  get: { access: "public", reason: "test" },
});

// u-1 ("user") may write sb-1 and sb-2 and is a member of tenant 7; superUser is an admin.
export const facts = ["user:u-1 sandbox:sb-1#write", "user:u-1 sandbox:sb-2#write", "user:u-1 tenant:7#member"];
