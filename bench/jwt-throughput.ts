// Loopback throughput with real ES256 bearer tokens from 1,000 distinct
// callers: the server in its own process, several client processes so the
// server, not the load generator, is the bottleneck; server CPU per request.
import { spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchAudience, benchIssuer, type JwtMode, jwtModes } from "./jwt-authenticators.js";
import { median } from "./lib.js";
import { startServer } from "./server-process.js";

export const callers = 1_000;
export const clients = Number(process.env.BENCH_CLIENTS ?? 3);
export const clientConcurrency = 16;
export const jwtRequests = Number(process.env.BENCH_JWT_REQUESTS ?? 15_000);
export const jwtRounds = Number(process.env.BENCH_JWT_ROUNDS ?? 3);

export type ThroughputMode = "unguarded" | JwtMode;
export const throughputModes: readonly ThroughputMode[] = ["unguarded", ...jwtModes];

/** 1,000 ES256 tokens (one per caller, each with its own sandbox_id) and the public key. */
function mintCallers(): { publicKey: string; tokensFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const tokens = Array.from({ length: callers }, (_, i) => {
    const claims = { iss: benchIssuer, aud: benchAudience, sub: `caller-${i}`, sandbox_id: `sb-${i}`, iat: now, exp: now + 3600 };
    const input = `${b64({ alg: "ES256", typ: "JWT" })}.${b64(claims)}`;
    const signature = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
    return { authorization: `Bearer ${input}.${signature}`, sandboxId: `sb-${i}` };
  });
  const tokensFile = join(mkdtempSync(join(tmpdir(), "protoauthz-bench-")), "callers.json");
  writeFileSync(tokensFile, JSON.stringify(tokens));
  return { publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), tokensFile };
}

/** Runs the client processes against one server: req/s, server CPU µs per request, server busy (cores). */
async function drive(framework: "connect" | "grpc", mode: ThroughputMode, publicKey: string, tokensFile: string) {
  const server = await startServer(framework, mode, { BENCH_JWT_PUBLIC_KEY: publicKey });
  const perClient = Math.ceil(jwtRequests / clients);
  const children = Array.from({ length: clients }, () =>
    spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "load-client.ts"),
        server.url,
        framework,
        String(perClient),
        String(clientConcurrency),
        tokensFile,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    ),
  );
  const said = (child: (typeof children)[number], word: string) =>
    new Promise<void>((resolve, reject) => {
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
  await Promise.all(children.map((c) => said(c, "ready")));
  const cpuBefore = await server.cpuMicros();
  const start = performance.now();
  const done = children.map((c) => said(c, "done"));
  for (const c of children) c.stdin.write("go\n");
  await Promise.all(done);
  const wallMs = performance.now() - start;
  const cpu = (await server.cpuMicros()) - cpuBefore;
  await server.close();
  const total = perClient * clients;
  return { rps: total / (wallMs / 1000), cpu: cpu / total, busy: cpu / 1000 / wallMs };
}

export interface ThroughputRow {
  readonly rps: number;
  readonly cpu: number;
  readonly busy: number;
  /** Each round's server CPU µs per request, in run order: the spread behind the median. */
  readonly cpuRounds?: readonly number[];
}

export async function jwtThroughput(framework: "connect" | "grpc"): Promise<Record<ThroughputMode, ThroughputRow>> {
  const { publicKey, tokensFile } = mintCallers();
  const samples = Object.fromEntries(throughputModes.map((m) => [m, [] as ThroughputRow[]])) as Record<ThroughputMode, ThroughputRow[]>;
  for (let round = 0; round < jwtRounds; round++) {
    // Rotate which server goes first, so warm-up and drift fall on all alike.
    for (let i = 0; i < throughputModes.length; i++) {
      const mode = throughputModes[(i + round) % throughputModes.length] as ThroughputMode;
      samples[mode].push(await drive(framework, mode, publicKey, tokensFile));
    }
  }
  const summary = (rows: ThroughputRow[]): ThroughputRow => ({
    rps: median(rows.map((r) => r.rps)),
    cpu: median(rows.map((r) => r.cpu)),
    busy: median(rows.map((r) => r.busy)),
    cpuRounds: rows.map((r) => r.cpu),
  });
  return Object.fromEntries(throughputModes.map((m) => [m, summary(samples[m])])) as Record<ThroughputMode, ThroughputRow>;
}
