// The verified-token cache under arbitrary traffic: random sequences of tokens
// and clock moves, against small bounds. Whatever the eviction order, a
// cached answer is only ever the principal of that very token, only within
// its expiry and the TTL, and a token asked again at once is answered from
// the cache. A cached token is looked up before its characters are checked,
// so any Authorization header around it is admitted only where the Bearer
// grammar admits exactly that token. `npm run fuzz` runs many more cases (FUZZ_RUNS).
import fc from "fast-check";
import { SignJWT } from "jose";
import type { AuthnRequest, Principal } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";

const secret = "0123456789abcdef0123456789abcdef-shared";
const issuer = "https://issuer.test";
const start = Date.UTC(2026, 10, 28, 12);
const runs = Number(process.env.FUZZ_RUNS ?? 200);

const request = (token: string): AuthnRequest => ({
  procedure: "/x.v1.S/M",
  header: new Headers({ authorization: `Bearer ${token}` }),
  peer: undefined,
});

/** Eight tokens, each with its own subject and a lifetime from 5 s to 40 s after `start`. */
const tokens = await Promise.all(
  Array.from({ length: 8 }, (_, i) =>
    new SignJWT({ sub: `u-${i}`, iss: issuer, aud: "gateway", iat: start / 1000, exp: start / 1000 + 5 + 5 * i })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(secret)),
  ),
);
const expiresMs = (i: number) => start + (5 + 5 * i) * 1000;

afterEach(() => {
  vi.useRealTimers();
});

describe("verified-token cache, arbitrary traffic", () => {
  it("serves a cached principal only for its own token, within its expiry and the TTL", () => {
    const step = fc.record({ token: fc.nat(7), advanceMs: fc.oneof(fc.constant(0), fc.nat(3000)), askTwice: fc.boolean() });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(step, { maxLength: 60 }),
        (maxEntries, ttl, steps) => {
          vi.useFakeTimers({ toFake: ["Date"] });
          vi.setSystemTime(start);
          const auth = createJwtAuthenticator({
            issuer,
            audience: "gateway",
            algorithms: ["HS256"],
            key: { secret },
            principal: { kind: "user" },
            clockToleranceSeconds: 0,
            cache: { maxEntries, maxTtlSeconds: ttl },
          });
          /** Each principal object ever returned: its token and when it was verified. */
          const issued = new Map<Principal, { token: number; verifiedAt: number }>();
          const ask = (token: number): Principal | undefined => {
            let principal: Principal;
            try {
              principal = auth.authenticate(request(tokens[token] as string)) as Principal;
            } catch {
              expect(Date.now()).toBeGreaterThanOrEqual(expiresMs(token)); // only an expired token fails
              return undefined;
            }
            expect(Date.now()).toBeLessThan(expiresMs(token));
            expect(principal.subject).toBe(`u-${token}`);
            const seen = issued.get(principal);
            if (seen === undefined) issued.set(principal, { token, verifiedAt: Date.now() });
            else {
              // A cached answer: that token's, within the TTL of its verification.
              expect(seen.token).toBe(token);
              expect(Date.now()).toBeLessThan(seen.verifiedAt + ttl * 1000);
            }
            return principal;
          };
          for (const { token, advanceMs, askTwice } of steps) {
            vi.setSystemTime(Date.now() + advanceMs);
            const first = ask(token);
            // Asked again at once: the answer just verified or served is still cached.
            if (askTwice && first !== undefined) expect(ask(token)).toBe(first);
          }
        },
      ),
      { numRuns: runs, seed: 20261128 },
    );
  });

  it("admits a cached token only in a header the Bearer grammar reads as exactly that token", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start);
    const auth = createJwtAuthenticator({
      issuer,
      audience: "gateway",
      algorithms: ["HS256"],
      key: { secret },
      principal: { kind: "user" },
    });
    const token = tokens[7] as string;
    const cached = auth.authenticate(request(token));
    // The grammar as one regular expression, independent of the parser under test.
    const grammar = /^bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
    const junk = fc.constantFrom("", " ", "  ", "\t", "\n", "\u00a0", ",", "x", ".", "=", "é", "\u0000", `, Bearer ${token}`);
    const scheme = fc.constantFrom("Bearer ", "bearer ", "BEARER   ", "Bearer", "Bearer\t", "Basic ", "", "Bearer: ", "Bearer .");
    const body = fc.oneof(
      fc.constant(token),
      fc.nat(token.length - 1).map((i) => token.slice(0, i) + token.slice(i + 1)),
      fc.tuple(fc.nat(token.length), fc.constantFrom("A", "-", "_", ".", " ", "%")).map(([i, c]) => token.slice(0, i) + c + token.slice(i)),
    );
    fc.assert(
      fc.property(junk, scheme, body, junk, (before, prefix, middle, after) => {
        const header = `${before}${prefix}${middle}${after}`;
        let answer: unknown;
        try {
          answer = auth.authenticate({
            procedure: "/x.v1.S/M",
            header: { get: () => header, has: () => true, forEach: () => {} },
            peer: undefined,
          });
        } catch {
          answer = undefined;
        }
        const expected = grammar.exec(header.trim())?.[1] === token;
        expect(answer === cached, JSON.stringify(header)).toBe(expected);
      }),
      { numRuns: runs * 5, seed: 20261128 },
    );
  });
});
