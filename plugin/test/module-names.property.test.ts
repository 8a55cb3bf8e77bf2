// A table module writes an imported name as text after its first use, which
// is exact only while protoplugin leaves every name as it is. Property: for
// any mix of service names, including every name a module imports or exports,
// the output equals the output that prints every use as a symbol and lets
// protoplugin resolve each clash.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runAuthz } from "../../test/support/generate.js";
import { hostileRequest, ruleBytes } from "../../test/support/hostile-request.js";
import { ModuleText } from "../src/module-text.js";

/** Names that clash with what a table module imports (protoauthz, the descriptors) or exports. */
const names = [
  "Binding",
  "RequestOf",
  "Relation",
  "ServiceAuthz",
  "ServiceRules",
  "defineServiceAuthz",
  "Orders",
  "OrdersAuthz",
  "OrdersRules",
  "OrdersAuthzAuthz",
  "RequestSchema",
  "Notes",
];

const bound = ruleBytes({
  access: {
    case: "authenticated",
    value: {
      principals: ["user"],
      bindings: [{ field: "id", attribute: "id" }],
      relations: [{ resourceType: "doc", idField: "id", permission: "view" }],
    },
  },
});
const open = ruleBytes({ access: { case: "public", value: { reason: "probe" } } });

function generate(services: readonly string[]): ReadonlyMap<string, string> {
  const { files, error } = runAuthz(
    hostileRequest(
      [
        {
          name: "n/v1/n.proto",
          package: "n.v1",
          fields: ["id"],
          services: services.map((name, i) => ({
            name,
            methods: [
              { name: "Get", rule: [bound] },
              { name: "List", rule: [i % 2 === 0 ? open : bound] },
            ],
          })),
        },
      ],
      "target=ts",
    ),
  );
  expect(error).toBeUndefined();
  return files;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("imported names written as text", () => {
  it("are exactly what protoplugin writes for the symbols, for any service names", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 5 }), (services) => {
        const written = generate(services);
        const check = vi.spyOn(ModuleText, "canWriteNames").mockReturnValue(false);
        const symbolsOnly = generate(services);
        check.mockRestore();
        expect(written).toEqual(symbolsOnly);
      }),
      { numRuns: 60 },
    );
  });

  it("are written as text when nothing clashes, and as protoplugin's aliases when something does", () => {
    const plain = generate(["Notes"]).get("n/v1/n_authz.ts") ?? "";
    expect(plain.match(/RequestOf<typeof Notes, "get">/g)).toHaveLength(2); // its bindings and relations
    const clashing = generate(["Binding", "Orders", "OrdersAuthz"]).get("n/v1/n_authz.ts") ?? "";
    expect(clashing).toContain('import { Binding as Binding$1, Orders, OrdersAuthz as OrdersAuthz$1 } from "./n_pb";');
    expect(clashing).toContain('readonly bindings: readonly Binding<RequestOf<typeof Binding$1, "get">>[];');
    expect(clashing).toContain("export const OrdersAuthz: ServiceAuthz<typeof Orders, OrdersRules>");
    expect(clashing).toContain("ServiceAuthz<typeof OrdersAuthz$1, OrdersAuthzRules>");
  });
});
