// No answer depends on a previous call: over random compositions of
// authenticators (JWT instances shared between compositions, in any order, with
// authenticators that refuse their header or throw) and random call sequences
// with the clock moving, every call is answered exactly as a freshly built
// composition (no cache, no memo) answers it at that moment.
import fc from "fast-check";
import { AuthenticationError, type Authenticator, authenticateWith } from "protoauthz";
import { createApiKeyAuthenticator, hashApiKey } from "protoauthz/apikey";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signCompact, testKey } from "../../test/support/tokens.js";

const key = testKey("HS256", 7);
const start = Date.UTC(2026, 0, 1, 12, 0, 0);
const now = Math.floor(start / 1000);
const issuers = ["https://a.test", "https://b.test"] as const;

/** Tokens signed once at `start`; the clock moves past some of them. */
const tokens = issuers.flatMap((iss) =>
  [
    { exp: now + 5, iat: now },
    { exp: now + 3600, iat: now },
    { exp: now + 3600, iat: now - 100 },
  ].map((times, i) => signCompact("HS256", key.signing, { alg: "HS256" }, { sub: `${iss}#${i}`, iss, aud: "api", ...times })),
);
const authorizations = [...tokens.map((t) => `Bearer ${t}`), "Bearer not.a.jwt", "Basic dXNlcjpwdw=="];

/** Every authenticator of the pool, built fresh: with its cache, or (for the oracle) without. */
function pool(cache: boolean): Authenticator[] {
  const jwt = (iss: string, extra: object) =>
    createJwtAuthenticator({
      name: `jwt ${iss}`,
      issuer: iss,
      audience: "api",
      algorithms: ["HS256"],
      key: { secret: key.verifying.export() },
      principal: { kind: "user" },
      ...(cache ? {} : { cache: false as const }),
      ...extra,
    });
  return [
    jwt(issuers[0], {}),
    jwt(issuers[1], { maxTokenAgeSeconds: 60 }),
    createApiKeyAuthenticator({
      header: "x-api-key",
      keys: [{ sha256: hashApiKey("good-key"), principal: { kind: "service", subject: "svc", scopes: [], roles: [], attributes: {} } }],
    }),
    {
      name: "picky",
      credential: "header:x-tenant-key",
      inspect: (r) => (r.header.get("x-tenant-key") === null ? "absent" : "not-mine"),
      authenticate: () => {
        throw new AuthenticationError("never");
      },
    },
    {
      name: "throwing",
      credential: "header:x-boom",
      inspect: (r) => {
        if (r.header.has("x-boom")) throw new Error("inspect failed");
        return "absent";
      },
      authenticate: () => {
        throw new Error("unreachable");
      },
    },
  ];
}

async function outcome(run: () => unknown): Promise<string> {
  try {
    const principal = (await run()) as { subject: string } | undefined;
    return principal === undefined ? "anonymous" : `ok ${principal.subject}`;
  } catch (error) {
    return error instanceof AuthenticationError ? "unauthenticated" : "unavailable";
  }
}

/** Indices into the pool, in any order; each holds a JWT authenticator (the stateful ones). */
const composition = fc
  .uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 })
  .filter((list) => list.includes(0) || list.includes(1));
const call = fc.record({
  composition: fc.nat(),
  /** Index into the run's few authorization headers, or none: calls repeat headers, as clients do. */
  authorization: fc.option(fc.nat(), { nil: undefined, freq: 4 }),
  apiKey: fc.option(fc.constantFrom("good-key", "bad-key"), { nil: undefined, freq: 2 }),
  tenantKey: fc.boolean(),
  boom: fc.constantFrom(false, false, false, true),
  advanceSeconds: fc.constantFrom(0, 0, 0, 1, 61, 3600),
});
const headerChoice = fc.uniqueArray(fc.constantFrom(...authorizations), { minLength: 1, maxLength: 2 });

afterEach(() => {
  vi.useRealTimers();
});

describe("authenticateWith over shared, stateful authenticators", () => {
  it("answers every call as a fresh composition would at that moment", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(composition, { minLength: 1, maxLength: 2 }),
        headerChoice,
        fc.array(call, { minLength: 1, maxLength: 20 }),
        async (lists, choice, calls) => {
          vi.useFakeTimers({ toFake: ["Date"] });
          vi.setSystemTime(start);
          // One pool shared by every composition: the same JWT instance sits in several, like one authenticator in two guards.
          const shared = pool(true);
          const composed = lists.map((list) => authenticateWith(...list.map((i) => shared[i] as Authenticator)));
          for (const c of calls) {
            vi.setSystemTime(Date.now() + c.advanceSeconds * 1000);
            const list = lists[c.composition % lists.length] as number[];
            const header = new Headers();
            if (c.authorization !== undefined) header.set("authorization", choice[c.authorization % choice.length] as string);
            if (c.apiKey !== undefined) header.set("x-api-key", c.apiKey);
            if (c.tenantKey) header.set("x-tenant-key", "foreign");
            if (c.boom) header.set("x-boom", "1");
            const request = () => ({ procedure: "/x.v1.S/M", header, peer: undefined });
            const fresh = pool(false);
            const expected = await outcome(() => authenticateWith(...list.map((i) => fresh[i] as Authenticator))(request()));
            const actual = await outcome(() => (composed[c.composition % lists.length] as (r: unknown) => unknown)(request()));
            expect(actual, JSON.stringify(c)).toBe(expected);
          }
          vi.useRealTimers();
        },
      ),
      { numRuns: 1000 },
    );
  });
});
