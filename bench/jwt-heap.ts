// Heap held by the verified-token cache when full: run with --expose-gc;
// prints {"mib": …, "entries": …} for 10,000 distinct ES256 tokens.
import { generateKeyPairSync, sign } from "node:crypto";
import type { AuthnRequest } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const entries = 10_000;
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = Math.floor(Date.now() / 1000);
const requests: AuthnRequest[] = Array.from({ length: entries }, (_, i) => {
  const input = `${b64({ alg: "ES256", typ: "JWT", kid: "bench-key-1" })}.${b64({
    iss: "https://issuer.bench",
    aud: "bench",
    sub: `caller-${i}`,
    sandbox_id: `sb-${i}`,
    scope: "things.read things.write",
    iat: now,
    exp: now + 3600,
  })}`;
  const signature = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return { procedure: "/b/c", header: new Headers({ authorization: `Bearer ${input}.${signature}` }), peer: undefined };
});
const auth = createJwtAuthenticator({
  issuer: "https://issuer.bench",
  audience: "bench",
  algorithms: ["ES256"],
  key: { publicKey: publicKey.export({ type: "spki", format: "pem" }).toString() },
  principal: { kind: "sandbox", attributes: { sandbox_id: "sandbox_id" } },
  vocabulary: { scopes: ["things.read", "things.write"] },
});
auth.authenticate(requests[0] as AuthnRequest); // load code paths before measuring
gc();
gc();
const before = process.memoryUsage().heapUsed;
const first = new WeakRef(auth.authenticate(requests[1] as AuthnRequest) as object);
for (const request of requests) auth.authenticate(request);
gc();
gc();
const after = process.memoryUsage().heapUsed;
// The oldest token must still be cached (same principal object), or the number means nothing.
const cached = auth.authenticate(requests[1] as AuthnRequest) === first.deref();
console.log(JSON.stringify({ mib: (after - before) / 2 ** 20, entries, cached }));
