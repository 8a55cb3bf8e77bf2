// Starts bench/throughput-server.ts in its own process (on its own core) and talks to it.
import type { ChildProcessByStdio } from "node:child_process";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { spawnNode } from "./lib.js";

export interface ServerProcess {
  readonly url: string;
  /** The server's CPU time so far (user + system, µs) and the calls its handler served. */
  usage(): Promise<{ cpuMicros: number; served: number }>;
  close(): Promise<void>;
}

export async function startServer(framework: "connect" | "grpc", mode: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawnNode("server", ["--import", "tsx", join(import.meta.dirname, "throughput-server.ts"), framework, mode], {
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
      const [cpuMicros, served] = (await answer).split(" ").map(Number);
      return { cpuMicros: cpuMicros as number, served: served as number };
    },
    close: async () => {
      // Asked, not killed: a server writing a CPU profile finishes it first.
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.write("exit\n");
      await exited;
    },
  };
}
