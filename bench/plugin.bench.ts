// protoc-gen-authz against its floor (a no-op protoplugin plugin: request
// decoding and descriptor building) and against protoc-gen-es, on the same
// CodeGeneratorRequest, for 5,000 and 10,000 RPCs.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type CodeGeneratorRequest, CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { protocGenEs } from "@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js";
import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import { protocGenAuthz } from "protoc-gen-authz";
import { buildRequest } from "../test/support/request.js";
import { type CorpusOptions, writeCorpus } from "./corpus.js";
import { fmt, median, medianMs, writeSection } from "./lib.js";

const work = join(import.meta.dirname, ".work");
const noop = createEcmaScriptPlugin({ name: "noop", version: "v0", generateTs() {} });
const runs = Number(process.env.BENCH_RUNS ?? 31);
const coldRounds = Number(process.env.BENCH_COLD_RUNS ?? 5);
// BENCH_BASELINE=<path to another build's index.js>: that build runs in the same
// interleaved rounds, for a before/after on one loaded machine.
const baselinePath = process.env.BENCH_BASELINE;
const baseline: typeof noop | undefined = baselinePath === undefined ? undefined : (await import(resolve(baselinePath))).protocGenAuthz;

interface Row {
  rpcs: number;
  files: number;
  authz: number;
  noop: number;
  es: number;
  baseline: number;
  cold: Record<string, Cold>;
}

function requestFor(files: number, rpcsPerFile: number, options: CorpusOptions): CodeGeneratorRequest {
  const dir = join(
    work,
    `corpus-${files}x${rpcsPerFile}${options.sharedServiceNames ? "-shared" : ""}${options.conditions ? `-${options.conditions}-conditions` : ""}`,
  );
  rmSync(dir, { recursive: true, force: true });
  writeCorpus(dir, files, rpcsPerFile, options);
  return buildRequest(dir, "target=ts");
}

interface Cold {
  /** Median peak RSS, MiB. */
  readonly rss: number;
  /** Median wall time of the whole process's work: loading modules, decoding, generating. */
  readonly total: number;
  /** Median time of run() alone, cold. */
  readonly run: number;
}

/** Each plugin in fresh processes, as buf runs one (rotating, `coldRuns` each): time and peak memory. */
function coldRuns(request: CodeGeneratorRequest): Record<string, Cold> {
  const file = join(work, "request.binpb");
  writeFileSync(file, toBinary(CodeGeneratorRequestSchema, request));
  const names = ["noop", "authz", "es"];
  const samples: Record<string, { rss: number[]; total: number[]; run: number[] }> = {};
  for (let round = 0; round < coldRounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const which = names[(round + i) % names.length] as string;
      const out = execFileSync(process.execPath, ["--conditions=default", join(import.meta.dirname, "plugin-child.mjs"), which, file], {
        encoding: "utf8",
      });
      const { maxRssMiB, totalMs, runMs } = JSON.parse(out) as { maxRssMiB: number; totalMs: number; runMs: number };
      const s = (samples[which] ??= { rss: [], total: [], run: [] });
      s.rss.push(maxRssMiB);
      s.total.push(totalMs);
      s.run.push(runMs);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [name, { rss: median(s.rss), total: median(s.total), run: median(s.run) }]),
  );
}

async function measure(files: number, rpcsPerFile: number, options: CorpusOptions = {}): Promise<Row> {
  const request = requestFor(files, rpcsPerFile, options);
  const check = protocGenAuthz.run(request);
  if (check.error) throw new Error(check.error);
  // Each run decodes the request bytes as a plugin process does. Plugins take
  // turns, round by round, so drift falls on all alike; the order rotates
  // each round, so each plugin follows each other one equally often and pays
  // for the garbage of every predecessor alike (protoc-gen-es leaves the most).
  const bytes = toBinary(CodeGeneratorRequestSchema, request);
  const plugins = Object.entries({ authz: protocGenAuthz, noop, es: protocGenEs, ...(baseline && { baseline }) }) as [
    string,
    typeof noop,
  ][];
  const times: Record<string, number[]> = { authz: [], noop: [], es: [], baseline: [] };
  // Whole rotations, after two warm-up rounds.
  const rounds = Math.ceil(runs / plugins.length) * plugins.length;
  for (let round = 0; round < rounds + 2; round++) {
    const order = [...plugins.slice(round % plugins.length), ...plugins.slice(0, round % plugins.length)];
    for (const [name, plugin] of order) {
      const ms = await medianMs(() => plugin.run(fromBinary(CodeGeneratorRequestSchema, bytes)), 1, 0);
      if (round >= 2) times[name]?.push(ms);
    }
  }
  return {
    rpcs: files * rpcsPerFile,
    files,
    authz: median(times.authz ?? []),
    noop: median(times.noop ?? []),
    es: median(times.es ?? []),
    baseline: baseline === undefined ? 0 : median(times.baseline ?? []),
    cold: coldRuns(request),
  };
}

mkdirSync(work, { recursive: true });
const rows = [await measure(50, 100), await measure(100, 100)];
const [small, large] = rows as [Row, Row];
// The old corpus, every file's services named Service0–3: the registry's
// imports of one name are aliased by protoplugin in quadratic time.
const shared = await measure(100, 100, { sharedServiceNames: true });
// Issue 19's target: 5,000 RPCs, every one authenticated with one condition, within the plugin's.
const conditioned = await measure(50, 100, { conditions: "with" });
const row = (r: Row) =>
  `| ${r.rpcs} (${r.files}) | ${fmt(r.noop)} ms | ${fmt(r.authz)} ms | **${fmt(r.authz / r.noop)}×** | ${fmt(r.es)} ms | ${fmt(r.cold.noop?.rss ?? 0, 0)} / ${fmt(r.cold.authz?.rss ?? 0, 0)} / ${fmt(r.cold.es?.rss ?? 0, 0)} MiB |`;
const coldRow = (r: Row) => {
  const [noopCold, authzCold, esCold] = [r.cold.noop, r.cold.authz, r.cold.es].map((c) => c ?? { rss: 0, total: 0, run: 0 }) as [
    Cold,
    Cold,
    Cold,
  ];
  return `| ${r.rpcs} (${r.files}) | ${fmt(noopCold.total, 0)} ms | ${fmt(authzCold.total, 0)} ms | **${fmt(authzCold.total / noopCold.total)}×** | ${fmt(authzCold.run, 0)} ms | ${fmt(esCold.total, 0)} ms |`;
};
const lines = [
  "## protoc-gen-authz (`npm run bench:plugin`)",
  "",
  `Median wall time of one in-process \`run()\` including decoding the same serialized CodeGeneratorRequest (warm, ${runs} rounds; the order of plugins rotates every round, so each follows each other one, protoc-gen-es and its garbage included, equally often); median peak RSS of a fresh process. The floor is a protoplugin plugin whose generate does nothing: decoding plus descriptor building.`,
  "",
  "| RPCs (files) | no-op floor | protoc-gen-authz | ratio to floor | protoc-gen-es | peak RSS floor / authz / es |",
  "|---|---|---|---|---|---|",
  ...rows.map(row),
  "",
  `As buf runs a plugin, once in a fresh process: loading its modules (protoplugin's floor includes TypeScript, which it loads for transpiling), decoding the request and generating, median of ${coldRounds} processes each. Nothing is optimized yet, so protoc-gen-authz's own generation costs far more than warm:`,
  "",
  "| RPCs (files) | no-op floor | protoc-gen-authz | ratio | its run() alone | protoc-gen-es |",
  "|---|---|---|---|---|---|",
  ...rows.map(coldRow),
  "",
  "Services are named per file, as in real APIs. With every file's services named Service0–3 (the corpus before issue 18's last round), the registry imports 100 tables of each name and protoplugin's alias resolution, quadratic in that count, adds to the 10,000-RPC time:",
  "",
  "| RPCs (files) | no-op floor | protoc-gen-authz | ratio to floor | protoc-gen-es | peak RSS floor / authz / es |",
  "|---|---|---|---|---|---|",
  row(shared),
  "",
  "The same 5,000 RPCs, every one authenticated with one CEL condition users write (limits that differ per RPC, a tenant match, a prefix, a role-dependent limit; `bench/corpus.ts`), each type-checked against its request type (issue 19: within the plugin's target), warm and cold:",
  "",
  "| RPCs (files) | no-op floor | protoc-gen-authz | ratio to floor | protoc-gen-es | peak RSS floor / authz / es |",
  "|---|---|---|---|---|---|",
  row(conditioned),
  "",
  "| RPCs (files) | no-op floor | protoc-gen-authz | ratio | its run() alone | protoc-gen-es |",
  "|---|---|---|---|---|---|",
  coldRow(conditioned),
  "",
  `Scaling: 10,000 RPCs take **${fmt(large.authz / small.authz)}×** the time of 5,000 (target ≤ 2.1×).`,
  ...(baseline === undefined
    ? []
    : [
        "",
        `Before/after in the same rounds (baseline: ${process.env.BENCH_BASELINE_LABEL ?? baselinePath}): ${rows.map((r) => `${r.rpcs} RPCs ${fmt(r.baseline / r.noop)}× → ${fmt(r.authz / r.noop)}×`).join("; ")}; scaling ${fmt(large.baseline / small.baseline)}× → ${fmt(large.authz / small.authz)}×; shared names ${fmt(shared.baseline / shared.noop)}× → ${fmt(shared.authz / shared.noop)}×; with conditions ${fmt(conditioned.baseline / conditioned.noop)}× → ${fmt(conditioned.authz / conditioned.noop)}×.`,
      ]),
  `Targets (issues 18 and 19): ≤ 1.5× the floor at 5,000 RPCs — ${small.authz / small.noop <= 1.5 ? "met" : "NOT met"}; ≤ 2.1× the time for twice the RPCs — ${large.authz / small.authz <= 2.1 ? "met" : "NOT met"}; ≤ 1.5× with a condition on each of 5,000 RPCs — ${conditioned.authz / conditioned.noop <= 1.5 ? "met" : "NOT met"}.`,
];
writeSection("plugin", lines.join("\n"));
console.log(lines.join("\n"));
