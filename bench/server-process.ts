// Starts a benchmark server script in its own process (on its own core) and
// talks to it: the script prints its port, answers "cpu" with its CPU time so
// far (µs) and, if it counts them, the calls its handler served; "exit" ends it.
import type { ChildProcessByStdio } from "node:child_process";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { spawnNode } from "./lib.js";

export interface ServerProcess {
  readonly url: string;
  /** The server's CPU time so far (user + system, µs) and the calls its handler served (if it counts them). */
  usage(): Promise<{ cpuMicros: number; served: number | undefined }>;
  close(): Promise<void>;
}

/** bench/throughput-server.ts serving `framework` in `mode`. */
export function startServer(framework: "connect" | "grpc", mode: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startProcess("throughput-server.ts", [framework, mode], env);
}

/** Any benchmark server script of this folder, with its arguments. */
export async function startProcess(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawnNode("server", ["--import", "tsx", join(import.meta.dirname, script), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...env },
  }) as ChildProcessByStdio<Writable, Readable, null>;
  const line = () => new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())));
  const port = await line();
  return {
    url: `http://127.0.0.1:${port}`,
    usage: async () => {
      const answer = line();
      child.stdin.write("cpu\n");
      const [cpuMicros, served] = (await answer).split(" ");
      return { cpuMicros: Number(cpuMicros), served: served === undefined ? undefined : Number(served) };
    },
    close: async () => {
      // Asked, not killed: a server writing a CPU profile finishes it first.
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.write("exit\n");
      await exited;
    },
  };
}
