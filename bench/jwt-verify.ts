// Micro-benchmarks of bearer verification: protoauthz (cache off) against
// fast-jwt's verifier and jose's jwtVerify on the same tokens in the same
// run, per algorithm; and the cost of a cache hit.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type Algorithm, createVerifier } from "fast-jwt";
import { exportSPKI, generateKeyPair, jwtVerify, SignJWT } from "jose";
import type { AuthnRequest } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { median, nsPerOp } from "./lib.js";

export const verifyAlgorithms = ["HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "ES384", "EdDSA"] as const;
const issuer = "https://issuer.bench";
const audience = "bench";
const secret = "bench-secret-bench-secret-bench-secret!";

async function setup(alg: string, cache: boolean) {
  const pair = alg.startsWith("HS") ? undefined : await generateKeyPair(alg, { extractable: true });
  const pem = pair === undefined ? undefined : await exportSPKI(pair.publicKey);
  const token = await new SignJWT({ scope: "things.read things.write", sandbox_id: "sb-1" })
    .setProtectedHeader({ alg, typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject("caller-1")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(pair?.privateKey ?? new TextEncoder().encode(secret));
  const ours = createJwtAuthenticator({
    issuer,
    audience,
    algorithms: [alg],
    key: pem === undefined ? { secret } : { publicKey: pem },
    principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" } },
    cache: cache ? {} : false,
  });
  const header = new Headers({ authorization: `Bearer ${token}` });
  // A new request object per call, as the guard makes one per call.
  const request = (): AuthnRequest => ({ procedure: "/b/c", header, peer: undefined });
  const fast = createVerifier({
    key: pem ?? secret,
    algorithms: [alg as Algorithm],
    allowedIss: issuer,
    allowedAud: audience,
    requiredClaims: ["exp", "sub"],
    cache: false,
  });
  const joseKey = pair?.publicKey ?? new TextEncoder().encode(secret);
  const joseOptions = { issuer, audience, algorithms: [alg], requiredClaims: ["exp", "sub"] };
  return { token, ours, request, fast, jose: () => jwtVerify(token, joseKey, joseOptions) };
}

/** Median µs per call of an async fn, over batches. */
async function usPerAsyncOp(fn: () => Promise<unknown>, n: number, batches = 7): Promise<number> {
  for (let i = 0; i < n; i++) await fn();
  const perOp: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    perOp.push(Number(process.hrtime.bigint() - start) / n / 1000);
  }
  return median(perOp);
}

export interface VerifyRow {
  readonly alg: string;
  readonly ours: number;
  readonly fastJwt: number;
  readonly jose: number;
}

/** Cold verification, µs per token: the three interleaved over 3 rounds, medians. */
export async function coldVerify(): Promise<VerifyRow[]> {
  const rows: VerifyRow[] = [];
  for (const alg of verifyAlgorithms) {
    const s = await setup(alg, false);
    const n = alg === "ES384" ? 300 : alg.startsWith("HS") ? 5_000 : 1_500;
    const ours: number[] = [];
    const fast: number[] = [];
    const jose: number[] = [];
    for (let round = 0; round < 3; round++) {
      ours.push(nsPerOp(() => s.ours.authenticate(s.request()), n, 7) / 1000);
      fast.push(nsPerOp(() => s.fast(s.token), n, 7) / 1000);
      jose.push(await usPerAsyncOp(s.jose, Math.ceil(n / 2)));
    }
    rows.push({ alg, ours: median(ours), fastJwt: median(fast), jose: median(jose) });
  }
  return rows;
}

/** A cache hit (ES256 token already verified), µs per call. */
export async function cacheHit(): Promise<number> {
  const s = await setup("ES256", true);
  s.ours.authenticate(s.request());
  // Two spellings of the scheme, alternating: the authenticator remembers the
  // last header value, so a repeated one would skip the parse and the hash
  // that a server cycling through many callers pays on every hit.
  const headers = [new Headers({ authorization: `Bearer ${s.token}` }), new Headers({ authorization: `bearer ${s.token}` })];
  let i = 0;
  return (
    nsPerOp(() => s.ours.authenticate({ procedure: "/b/c", header: headers[i++ & 1] as Headers, peer: undefined }), 100_000, 15) / 1000
  );
}

/** Extra heap with 10,000 tokens cached, MiB, measured in a fresh process. */
export function cacheHeap(): { mib: number; entries: number } {
  const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", join(import.meta.dirname, "jwt-heap.ts")], {
    encoding: "utf8",
  });
  const result = JSON.parse(child.stdout.trim()) as { mib: number; entries: number; cached: boolean };
  if (!result.cached) throw new Error("jwt-heap: the cache did not keep 10,000 tokens; the heap figure would be meaningless");
  return result;
}
