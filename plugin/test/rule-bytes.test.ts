// Rules are decoded once per distinct option bytes and found again by a hash
// of them: two RPCs whose bytes share a hash must still get their own rules.
import { describe, expect, it } from "vitest";
import { runAuthz } from "../../test/support/generate.js";
import { hostileRequest, ruleBytes } from "../../test/support/hostile-request.js";

const deny = (reason: string) => ruleBytes({ access: { case: "deny", value: { reason } } });

/** Found by search: the two options, as protoc writes them (length-prefixed), have one FNV-1a hash (1168512427). */
const [first, second] = ["retired 53vu", "retired ktea"];

describe("rules read from option bytes", () => {
  it("keep apart two RPCs whose bytes share a hash, and share one rule between equal bytes", () => {
    const { files, error } = runAuthz(
      hostileRequest(
        [
          {
            name: "h/v1/h.proto",
            package: "h.v1",
            fields: ["id"],
            services: [
              {
                name: "Hashes",
                methods: [
                  { name: "First", rule: [deny(first)] },
                  { name: "Second", rule: [deny(second)] },
                  { name: "FirstAgain", rule: [deny(first)] },
                ],
              },
            ],
          },
        ],
        "target=ts",
      ),
    );
    expect(error).toBeUndefined();
    const table = files.get("h/v1/h_authz.ts") ?? "";
    const reasonOf = (key: string) => new RegExp(`\\n  ${key}: \\{\\n[^}]*reason: "([^"]*)"`).exec(table)?.[1];
    expect([reasonOf("first"), reasonOf("second"), reasonOf("firstAgain")]).toEqual([first, second, first]);
  });
});
