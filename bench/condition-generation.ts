// protoc-gen-authz on 5,000 authenticated RPCs without and with one condition
// each, against the no-op floor of the same request, run as plugin.bench.ts
// runs plugins: in process, decoding the serialized request every run, in
// rounds whose order rotates. Three corpora: bench:plugin's (50 files, a
// request type per file, every RPC authenticated with a condition users
// write), and two stress corpora of one two-clause condition per RPC, with
// one request type per file and one per RPC.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin, type Plugin } from "@bufbuild/protoplugin";
import { protocGenAuthz } from "protoc-gen-authz";
import { buildRequest } from "../test/support/request.js";
import { writeCorpus } from "./corpus.js";
import { median, medianMs } from "./lib.js";

const work = join(import.meta.dirname, ".work", "conditions");
const noop = createEcmaScriptPlugin({ name: "noop", version: "v0", generateTs() {} });

// BENCH_BASELINE_PLUGIN=<another build's plugin/dist/index.js>: it runs in the same rounds, for a before/after.
const baselinePath = process.env.BENCH_BASELINE_PLUGIN;
const baseline: Plugin | undefined = baselinePath === undefined ? undefined : (await import(resolve(baselinePath))).protocGenAuthz;

export interface GenerationRow {
  readonly label: string;
  /** The no-op plugin on the corpus without and with conditions. */
  readonly floor: { readonly without: number; readonly with: number };
  readonly without: number;
  readonly with: number;
  /** The baseline build's times, when there is one. */
  readonly before?: { readonly without: number; readonly with: number };
}

type Corpus = (dir: string, withConditions: boolean) => void;

const corpora: readonly { readonly label: string; readonly write: Corpus }[] = [
  {
    label: "bench:plugin's corpus (a request type per file)",
    write: (dir, withConditions) => writeCorpus(dir, 50, 100, { conditions: withConditions ? "with" : "without" }),
  },
  { label: "stress: a request type per file", write: (dir, withConditions) => stressCorpus(dir, withConditions, false) },
  { label: "stress: a request type per RPC (5,000)", write: (dir, withConditions) => stressCorpus(dir, withConditions, true) },
];

/** 50 files of 100 RPCs, each with `request.amount <= m && …` (m = 0…99). */
function stressCorpus(dir: string, withConditions: boolean, requestPerRpc: boolean): void {
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
}

/** Serialized CodeGeneratorRequest of a corpus, checked to generate. */
function requestOf(write: Corpus, withConditions: boolean, index: number): Uint8Array {
  const dir = join(work, `${index}-${withConditions ? "with" : "without"}`);
  rmSync(dir, { recursive: true, force: true });
  write(dir, withConditions);
  const request = buildRequest(dir, "target=ts");
  const response = protocGenAuthz.run(request);
  if (response.error) throw new Error(response.error);
  return toBinary(CodeGeneratorRequestSchema, request);
}

export async function generationRows(): Promise<{ rows: GenerationRow[]; runs: number; baseline: string | undefined }> {
  const runs = Number(process.env.BENCH_RUNS ?? 9);
  const rows: GenerationRow[] = [];
  for (const [index, { label, write }] of corpora.entries()) {
    const bytes = { without: requestOf(write, false, index), with: requestOf(write, true, index) };
    const measured: [string, Plugin, Uint8Array][] = [
      ["floorWithout", noop, bytes.without],
      ["floorWith", noop, bytes.with],
      ["without", protocGenAuthz, bytes.without],
      ["with", protocGenAuthz, bytes.with],
      ...(baseline === undefined
        ? []
        : ([
            ["beforeWithout", baseline, bytes.without],
            ["beforeWith", baseline, bytes.with],
          ] as [string, Plugin, Uint8Array][])),
    ];
    const times = new Map<string, number[]>(measured.map(([name]) => [name, []]));
    // Whole rotations after two warm-up rounds: each run follows each other one equally often.
    const rounds = Math.ceil(runs / measured.length) * measured.length;
    for (let round = 0; round < rounds + 2; round++) {
      for (let i = 0; i < measured.length; i++) {
        const [name, plugin, request] = measured[(round + i) % measured.length] as [string, Plugin, Uint8Array];
        const ms = await medianMs(() => plugin.run(fromBinary(CodeGeneratorRequestSchema, request)), 1, 0);
        if (round >= 2) times.get(name)?.push(ms);
      }
    }
    const of = (name: string) => median(times.get(name) ?? []);
    rows.push({
      label,
      floor: { without: of("floorWithout"), with: of("floorWith") },
      without: of("without"),
      with: of("with"),
      ...(baseline && { before: { without: of("beforeWithout"), with: of("beforeWith") } }),
    });
  }
  rmSync(work, { recursive: true, force: true });
  return { rows, runs, baseline: baselinePath };
}
