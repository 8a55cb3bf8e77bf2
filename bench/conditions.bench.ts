// The cost of conditions: one decision with and without a condition (in one
// run, so the ratio holds on a shared machine), and compiling 5,000
// conditions as a guard does at start.
// Run: npm run bench:conditions (writes its section of bench/RESULTS.md).
import { create } from "@bufbuild/protobuf";
import { checkRule, decide, type Principal, type Rule, readFieldPath, resolveFieldPath } from "protoauthz";
import { checkCondition } from "../runtime/src/conditions/check.js";
import { conditionCompiler } from "../runtime/src/conditions/condition.js";
import { PaymentSchema } from "../test/gen/conditionstest/v1/conditions_pb.js";
import { fmt, nsPerOp, writeSection } from "./lib.js";

const principal: Principal = {
  kind: "user",
  subject: "u-1",
  scopes: ["pay.read"],
  roles: ["member"],
  attributes: { account_id: "acc-1" },
};
const message = create(PaymentSchema, { pageSize: 50, accountId: "acc-1", amount: 500n });

const readerOf = (path: string) => {
  const resolved = resolveFieldPath(PaymentSchema, path);
  if (!resolved.ok) throw new Error(resolved.problem);
  return { read: readFieldPath(resolved.fields), integer: false };
};

const base = {
  access: "authenticated",
  principals: ["user"],
  scopes: ["pay.read"],
  roles: ["admin", "member"],
  bindings: [{ field: "account_id", attribute: "account_id" }],
} as const;
const simple = "request.page_size <= 100";
const twoClause = "request.amount <= 1000 && request.account_id == principal.attributes['account_id']";

function decisionNs(rule: Rule<unknown>): number {
  const checked = checkRule(rule, readerOf, conditionCompiler(PaymentSchema));
  if (!decide(checked, principal, message).allowed) throw new Error("the bench rule must admit");
  return nsPerOp(() => decide(checked, principal, message).allowed);
}

// Interleaved, so that load from other processes hits every variant alike.
const rounds: { none: number; simple: number; two: number }[] = [];
for (let i = 0; i < 3; i++) {
  rounds.push({
    none: decisionNs(base),
    simple: decisionNs({ ...base, conditions: [simple] }),
    two: decisionNs({ ...base, conditions: [twoClause] }),
  });
}
const best = (key: "none" | "simple" | "two") => Math.min(...rounds.map((r) => r[key]));
const none = best("none");

// Start-up: 5,000 distinct conditions, validated and compiled as createGuard does.
const texts = Array.from(
  { length: 5_000 },
  (_, i) => `request.page_size <= ${i} && principal.attributes['account_id'] == request.account_id`,
);
const started = performance.now();
const compile = conditionCompiler(PaymentSchema);
for (const text of texts) {
  if (!("checked" in checkCondition(text, PaymentSchema, { roles: ["admin", "member"] }))) throw new Error(text);
  compile(text);
}
const startMs = performance.now() - started;

const lines = [
  "## Conditions (`npm run bench:conditions`)",
  "",
  "One decision through `decide`: kind + scope + role + one binding, without and with a condition; best of 3 interleaved rounds, each the median of 25 batches of 200,000.",
  "",
  "| rule | ns per decision | more than without |",
  "|---|---:|---:|",
  `| no condition | ${fmt(none, 1)} | |`,
  `| + \`${simple}\` | ${fmt(best("simple"), 1)} | **${fmt(best("simple") - none, 1)} ns** (target ≤ 1,000) |`,
  `| + \`${twoClause.replaceAll("|", "\\|")}\` | ${fmt(best("two"), 1)} | **${fmt(best("two") - none, 1)} ns** (target ≤ 2,000) |`,
  "",
  `Validating and compiling 5,000 distinct two-clause conditions (one request type, as at guard start): **${fmt(startMs, 0)} ms** (target < 1,000).`,
];
console.log(lines.join("\n"));
writeSection("conditions", lines.join("\n"));
