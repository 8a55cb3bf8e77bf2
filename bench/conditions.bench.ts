// The cost of conditions: one decision with and without a condition (in one
// run, so the ratio holds on a shared machine), compiling 5,000 conditions as
// a guard does at start, and generating 5,000 RPCs with a condition each.
// Run: npm run bench:conditions (writes its section of bench/RESULTS.md).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import type { Principal } from "protoauthz";
import { checkCondition, checkRule, conditionCompiler, decide, type Rule, readFieldPath, resolveFieldPath } from "protoauthz/tool";
import { PaymentSchema } from "../test/gen/conditionstest/v1/conditions_pb.js";
import { runAuthz } from "../test/support/generate.js";
import { buildRequest } from "../test/support/request.js";
import { fmt, medianMs, nsPerOp, placement, writeSection } from "./lib.js";
import { callersFile, drive, rounds as inRounds } from "./loopback.js";

const loadBefore = loadavg()[0] ?? 0;

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

// Generation: 50 files × 100 RPCs, every RPC authenticated, with and without one condition each.
const work = join(import.meta.dirname, ".work", "conditions");
function corpus(withConditions: boolean) {
  const dir = join(work, withConditions ? "with" : "without");
  rmSync(dir, { recursive: true, force: true });
  for (let f = 0; f < 50; f++) {
    const lines = [`syntax = "proto3";`, `package cond.f${f}.v1;`, `import "protoauthz/v1/authz.proto";`];
    lines.push("message Req {\n  int64 amount = 1;\n  string account_id = 2;\n  repeated string tags = 3;\n}", "message Res {}");
    lines.push("service S {");
    for (let m = 0; m < 100; m++) {
      const condition = withConditions
        ? ` conditions: "request.amount <= ${m} && request.account_id == principal.attributes['account_id']"`
        : "";
      lines.push(`  rpc M${m}(Req) returns (Res) { option (protoauthz.v1.rule) = { authenticated: { principals: "user"${condition} } }; }`);
    }
    lines.push("}");
    mkdirSync(join(dir, `cond/f${f}/v1`), { recursive: true });
    writeFileSync(join(dir, `cond/f${f}/v1/f${f}.proto`), `${lines.join("\n")}\n`);
  }
  return buildRequest(dir, "target=ts,principals=user");
}
const plain = corpus(false);
const conditioned = corpus(true);
const generationRuns: { without: number; with: number }[] = [];
for (let i = 0; i < 5; i++) {
  generationRuns.push({ without: await medianMs(() => runAuthz(plain), 1, 1), with: await medianMs(() => runAuthz(conditioned), 1, 1) });
}
const genWithout = Math.min(...generationRuns.map((r) => r.without));
const genWith = Math.min(...generationRuns.map((r) => r.with));
rmSync(work, { recursive: true, force: true });

// Capacity: the same guarded server with and without a condition, on both frameworks.
const requests = Number(process.env.BENCH_REQUESTS ?? 40_000);
const capacityRounds = Number(process.env.BENCH_ROUNDS ?? 5);
const staticCaller = callersFile([{ authorization: "Bearer sb-1", sandboxId: "sb-1" }]);
const capacityModes = ["guarded", "guarded-condition"] as const;
const capacity = {
  connect: await inRounds(capacityModes, capacityRounds, (mode) => drive("connect", mode, staticCaller, requests)),
  grpc: await inRounds(capacityModes, capacityRounds, (mode) => drive("grpc", mode, staticCaller, requests)),
};
const capacityRow = (name: string, r: (typeof capacity)["connect"]) =>
  `| ${name} | ${fmt(r.guarded.rps, 0)} / ${fmt(r["guarded-condition"].rps, 0)} | ${fmt(r.guarded.cpu, 1)} / ${fmt(r["guarded-condition"].cpu, 1)} | **${fmt((100 * r.guarded.cpu) / r["guarded-condition"].cpu, 1)}%** |`;

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
  "",
  `Generating 5,000 authenticated RPCs (50 files), best of 5: ${fmt(genWithout, 0)} ms without conditions, **${fmt(genWith, 0)} ms** with one two-clause condition each (${fmt(genWith / genWithout)}×; every condition type-checked against its request type).`,
  "",
  `Guarded capacity over loopback (as in the guard section: ${placement}; ${requests} unary calls per run, median of ${capacityRounds} rounds): WorkloadService.Unary, kind + binding, without and with the condition \`request.sandbox_id.startsWith('sb-') && size(request.text) <= 100\`.`,
  "",
  "| server | req/s: guard / guard + condition | server CPU µs per request | capacity with ÷ without |",
  "|---|---|---|---|",
  capacityRow("connect-node (Connect protocol)", capacity.connect),
  capacityRow("grpc-js (gRPC)", capacity.grpc),
  "",
  "Target: within 2% (≥ 98%).",
  "",
  `Load average (1 min) at start / end: ${fmt(loadBefore, 1)} / ${fmt(loadavg()[0] ?? 0, 1)} on ${availableParallelism()} cores; on a shared machine the capacity rows move by more than the 2% they are meant to resolve (a condition costs ~0.1–0.2 µs of a request's CPU).`,
];
console.log(lines.join("\n"));
writeSection("conditions", lines.join("\n"));
