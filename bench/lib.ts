// Small helpers shared by the benchmarks: timing and the results file.
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";

/** Median of `runs` timings of fn, in milliseconds, after `warmup` runs. */
export async function medianMs(fn: () => unknown, runs: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

/** Median nanoseconds per call of a synchronous fn, over batches. */
export function nsPerOp(fn: () => unknown, batch = 200_000, batches = 25): number {
  let sink: unknown;
  for (let i = 0; i < batch; i++) sink = fn();
  const perOp: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) sink = fn();
    perOp.push(Number(process.hrtime.bigint() - start) / batch);
  }
  if (sink === Symbol.for("never")) console.log(sink);
  return median(perOp);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const resultsFile = join(import.meta.dirname, "RESULTS.md");

/** Replaces one section of bench/RESULTS.md, keeping the others. */
export function writeSection(name: string, body: string): void {
  let text: string;
  try {
    text = readFileSync(resultsFile, "utf8");
  } catch {
    text = "# Benchmark results\n\nWritten by `npm run bench`; each section by its own script. Do not edit by hand.\n";
  }
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  const section = `${start}\n${body.trim()}\n\n_Machine: ${machine}._\n${end}`;
  const at = text.indexOf(start);
  text = at >= 0 ? text.slice(0, at) + section + text.slice(text.indexOf(end) + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(resultsFile, text);
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits);

const cores = availableParallelism();
const canPin = cores >= 2 && spawnSync("taskset", ["-V"]).status === 0;

/** Where benchmark processes run: the server alone on the last core, load generators on the others. */
export const placement = canPin
  ? `server pinned to core ${cores - 1}, load clients to cores 0–${cores - 2} (taskset)`
  : "processes not pinned";

/**
 * Runs a Node script as a benchmark process, pinned where the machine allows
 * so that the load generator never takes the server's core. `BENCH_CPU_PROF=<dir>`
 * writes a CPU profile of every server process.
 */
export function spawnNode(role: "server" | "load", args: readonly string[], options: SpawnOptions): ChildProcess {
  const profile = role === "server" && process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const node = [process.execPath, ...profile, ...args];
  if (!canPin) return spawn(node[0] as string, node.slice(1), options);
  return spawn("taskset", ["-c", role === "server" ? `${cores - 1}` : `0-${cores - 2}`, ...node], options);
}
