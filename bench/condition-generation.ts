// protoc-gen-authz on 5,000 authenticated RPCs (50 files × 100) without and
// with one condition each, against the no-op floor, run as plugin.bench.ts
// runs plugins: in process, decoding the serialized request every run, in
// interleaved rounds. Two corpora: one request type per file, and one per RPC.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import { protocGenAuthz } from "protoc-gen-authz";
import { buildRequest } from "../test/support/request.js";
import { median, medianMs } from "./lib.js";

const work = join(import.meta.dirname, ".work", "conditions");
const noop = createEcmaScriptPlugin({ name: "noop", version: "v0", generateTs() {} });

// BENCH_BASELINE_PLUGIN=<another build's plugin/dist/index.js>: it runs in the same rounds, for a before/after.
const baselinePath = process.env.BENCH_BASELINE_PLUGIN;
const baseline: typeof noop | undefined = baselinePath === undefined ? undefined : (await import(resolve(baselinePath))).protocGenAuthz;

export interface GenerationRow {
  readonly label: string;
  readonly floor: number;
  readonly without: number;
  readonly with: number;
  /** The baseline build's times, when there is one. */
  readonly before?: { readonly without: number; readonly with: number };
}

/** Serialized CodeGeneratorRequest of the corpus. */
function corpus(withConditions: boolean, requestPerRpc: boolean): Uint8Array {
  const dir = join(work, `${withConditions ? "with" : "without"}-${requestPerRpc ? "per-rpc" : "per-file"}`);
  rmSync(dir, { recursive: true, force: true });
  for (let f = 0; f < 50; f++) {
    const lines = [`syntax = "proto3";`, `package cond.f${f}.v1;`, `import "protoauthz/v1/authz.proto";`, "message Res {}"];
    const requests = requestPerRpc ? 100 : 1;
    for (let m = 0; m < requests; m++) {
      lines.push(`message Req${m} {\n  int64 amount = 1;\n  string account_id = 2;\n  repeated string tags = 3;\n}`);
    }
    lines.push("service S {");
    for (let m = 0; m < 100; m++) {
      const condition = withConditions
        ? ` conditions: "request.amount <= ${m} && request.account_id == principal.attributes['account_id']"`
        : "";
      const request = `Req${requestPerRpc ? m : 0}`;
      lines.push(
        `  rpc M${m}(${request}) returns (Res) { option (protoauthz.v1.rule) = { authenticated: { principals: "user"${condition} } }; }`,
      );
    }
    lines.push("}");
    mkdirSync(join(dir, `cond/f${f}/v1`), { recursive: true });
    writeFileSync(join(dir, `cond/f${f}/v1/f${f}.proto`), `${lines.join("\n")}\n`);
  }
  const request = buildRequest(dir, "target=ts,principals=user");
  const response = protocGenAuthz.run(request);
  if (response.error) throw new Error(response.error);
  return toBinary(CodeGeneratorRequestSchema, request);
}

export async function generationRows(): Promise<{ rows: GenerationRow[]; runs: number; baseline: string | undefined }> {
  const runs = Number(process.env.BENCH_RUNS ?? 9);
  const rows: GenerationRow[] = [];
  for (const requestPerRpc of [false, true]) {
    const without = corpus(false, requestPerRpc);
    const withConditions = corpus(true, requestPerRpc);
    const runsOf = {
      floor: [] as number[],
      without: [] as number[],
      with: [] as number[],
      beforeWithout: [] as number[],
      beforeWith: [] as number[],
    };
    const once = (plugin: typeof noop, bytes: Uint8Array) =>
      medianMs(
        () => {
          const request = fromBinary(CodeGeneratorRequestSchema, bytes);
          // The no-op plugin knows no protoc-gen-authz option.
          if (plugin === noop) request.parameter = "target=ts";
          return plugin.run(request);
        },
        1,
        0,
      );
    // Two warm-up rounds, then plugins take turns so that drift and GC debt fall on all alike.
    for (let round = 0; round < runs + 2; round++) {
      const floor = await once(noop, without);
      const plain = await once(protocGenAuthz, without);
      const conditioned = await once(protocGenAuthz, withConditions);
      const before = baseline && [await once(baseline, without), await once(baseline, withConditions)];
      if (round < 2) continue;
      runsOf.floor.push(floor);
      runsOf.without.push(plain);
      runsOf.with.push(conditioned);
      if (before) {
        runsOf.beforeWithout.push(before[0]);
        runsOf.beforeWith.push(before[1]);
      }
    }
    rows.push({
      label: requestPerRpc ? "one per RPC (5,000)" : "one per file (50)",
      floor: median(runsOf.floor),
      without: median(runsOf.without),
      with: median(runsOf.with),
      ...(baseline && { before: { without: median(runsOf.beforeWithout), with: median(runsOf.beforeWith) } }),
    });
  }
  rmSync(work, { recursive: true, force: true });
  return { rows, runs, baseline: baselinePath };
}
