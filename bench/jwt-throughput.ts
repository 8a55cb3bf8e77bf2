// Loopback throughput with real ES256 bearer tokens from 1,000 distinct
// callers, server CPU per request (see loopback.ts for how load is made).
import { generateKeyPairSync, sign } from "node:crypto";
import { benchAudience, benchIssuer, type JwtMode, jwtModes } from "./jwt-authenticators.js";
import { callersFile, drive, rounds, type ThroughputRow } from "./loopback.js";

export const callers = 1_000;
export const jwtRequests = Number(process.env.BENCH_JWT_REQUESTS ?? 40_000);
export const jwtRounds = Number(process.env.BENCH_JWT_ROUNDS ?? 5);

export type ThroughputMode = "unguarded" | JwtMode;
export const throughputModes: readonly ThroughputMode[] = ["unguarded", ...jwtModes];

/** 1,000 ES256 tokens (one per caller, each with its own sandbox_id) and the public key. */
function mintCallers(): { publicKey: string; file: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const tokens = Array.from({ length: callers }, (_, i) => {
    const claims = { iss: benchIssuer, aud: benchAudience, sub: `caller-${i}`, sandbox_id: `sb-${i}`, iat: now, exp: now + 3600 };
    const input = `${b64({ alg: "ES256", typ: "JWT" })}.${b64(claims)}`;
    const signature = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
    return { authorization: `Bearer ${input}.${signature}`, sandboxId: `sb-${i}` };
  });
  return { publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), file: callersFile(tokens) };
}

export async function jwtThroughput(framework: "connect" | "grpc"): Promise<Record<ThroughputMode, ThroughputRow>> {
  const { publicKey, file } = mintCallers();
  return rounds(throughputModes, jwtRounds, (mode) => drive(framework, mode, file, jwtRequests, { BENCH_JWT_PUBLIC_KEY: publicKey }));
}
