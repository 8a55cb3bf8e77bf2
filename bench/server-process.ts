// Starts bench/throughput-server.ts in its own process and talks to it.
import { spawn } from "node:child_process";
import { join } from "node:path";

export interface ServerProcess {
  readonly url: string;
  /** The server's CPU time so far (user + system), µs. */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

export async function startServer(framework: "connect" | "grpc", mode: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "throughput-server.ts"), framework, mode], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const line = () => new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())));
  const port = await line();
  return {
    url: `http://127.0.0.1:${port}`,
    cpuMicros: async () => {
      const answer = line();
      child.stdin.write("cpu\n");
      return Number(await answer);
    },
    close: async () => {
      child.kill();
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
