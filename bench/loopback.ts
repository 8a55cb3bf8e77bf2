// Loopback load against one benchmark server: raw HTTP/2 load clients in
// processes of their own, the server alone on its core; req/s and the
// server's CPU per request.
import type { ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { median, spawnNode } from "./lib.js";
import { startServer } from "./server-process.js";

export const loadClients = Number(process.env.BENCH_CLIENTS ?? 2);
export const clientConcurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

export interface Caller {
  readonly authorization: string;
  readonly sandboxId: string;
}

export interface LoopbackRow {
  readonly rps: number;
  /** Server CPU µs per request (user + system). */
  readonly cpu: number;
  /** Server CPU time over wall time: 1.0 is one core saturated. */
  readonly busy: number;
}

/** Writes the callers the load clients cycle through; returns the file. */
export function callersFile(callers: readonly Caller[]): string {
  const file = join(mkdtempSync(join(tmpdir(), "protoauthz-bench-")), "callers.json");
  writeFileSync(file, JSON.stringify(callers));
  return file;
}

type Client = ChildProcessByStdio<Writable, Readable, null>;

function said(child: Client, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const listen = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(word)) {
        child.stdout.off("data", listen);
        resolve();
      }
    };
    child.stdout.on("data", listen);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`load client exited ${code}`))));
  });
}

/** Starts a server in `mode`, warms it up, then measures `requests` calls spread over the load clients. */
export async function drive(
  framework: "connect" | "grpc",
  mode: string,
  callers: string,
  requests: number,
  env: Record<string, string> = {},
): Promise<LoopbackRow> {
  const server = await startServer(framework, mode, env);
  try {
    const perClient = Math.ceil(requests / loadClients);
    const script = join(import.meta.dirname, "load-client.ts");
    const clients = Array.from(
      { length: loadClients },
      () =>
        spawnNode("load", ["--import", "tsx", script, server.url, framework, String(perClient), String(clientConcurrency), callers], {
          stdio: ["pipe", "pipe", "inherit"],
        }) as Client,
    );
    await Promise.all(clients.map((c) => said(c, "ready")));
    const before = await server.usage();
    const start = performance.now();
    const done = clients.map((c) => said(c, "done"));
    for (const c of clients) c.stdin.write("go\n");
    await Promise.all(done);
    const wallMs = performance.now() - start;
    const after = await server.usage();
    const cpu = after.cpuMicros - before.cpuMicros;
    const total = perClient * loadClients;
    // The clients only count answers: the handler's count says each call was served, none refused.
    const served = (after.served ?? 0) - (before.served ?? 0);
    if (served !== total) throw new Error(`${mode}: ${served} of ${total} calls served`);
    return { rps: total / (wallMs / 1000), cpu: cpu / total, busy: cpu / 1000 / wallMs };
  } finally {
    await server.close();
  }
}

export interface ThroughputRow extends LoopbackRow {
  /** Each round's server CPU µs per request, in run order: the spread behind the median. */
  readonly cpuRounds: readonly number[];
}

/** Medians over rounds of several runs; each round rotates which mode goes first, so warm-up and drift fall on all alike. */
export async function rounds<M extends string>(
  modes: readonly M[],
  count: number,
  run: (mode: M) => Promise<LoopbackRow>,
): Promise<Record<M, ThroughputRow>> {
  const samples = Object.fromEntries(modes.map((m) => [m, [] as LoopbackRow[]])) as Record<M, LoopbackRow[]>;
  for (let round = 0; round < count; round++) {
    for (let i = 0; i < modes.length; i++) {
      const mode = modes[(i + round) % modes.length] as M;
      samples[mode].push(await run(mode));
    }
  }
  const summary = (rows: LoopbackRow[]): ThroughputRow => ({
    rps: median(rows.map((r) => r.rps)),
    cpu: median(rows.map((r) => r.cpu)),
    busy: median(rows.map((r) => r.busy)),
    cpuRounds: rows.map((r) => r.cpu),
  });
  return Object.fromEntries(modes.map((m) => [m, summary(samples[m])])) as Record<M, ThroughputRow>;
}
