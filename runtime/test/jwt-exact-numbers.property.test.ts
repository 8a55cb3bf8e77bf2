// A numeric claim never becomes an attribute by rounding: random integers up
// to 2^64 and decimals (long fractions, exponents) written into the raw payload
// text of a signed token; the attribute, and what principal.map reads, equals
// the text's exact value, or the attribute is absent with a warning.
import fc from "fast-check";
import type { AuthnRequest, Principal } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { canonicalValue } from "protoauthz/tool";
import { describe, expect, it, vi } from "vitest";
import { signCompact, testKey } from "../../test/support/tokens.js";

const key = testKey("HS256", 3);
const issuer = "https://issuer.exact";
const secret = key.verifying.export();
const now = Math.floor(Date.now() / 1000);

/** A token whose claims are exactly this JSON text (registered claims first). */
const tokenWith = (claimsText: string) =>
  signCompact(
    "HS256",
    key.signing,
    { alg: "HS256" },
    Buffer.from(`{"sub":"u-1","iss":"${issuer}","aud":"api","exp":${now + 600},${claimsText}}`),
  );
const request = (token: string): AuthnRequest => ({
  procedure: "/x.v1.S/M",
  header: new Headers({ authorization: `Bearer ${token}` }),
  peer: undefined,
});

const authenticator = createJwtAuthenticator({
  issuer,
  audience: "api",
  algorithms: ["HS256"],
  key: { secret },
  cache: false,
  principal: {
    kind: "user",
    attributes: { tenant: "tenant", org: "org.id" },
    map: (claims, mapped) => {
      const seen = claims.tenant;
      return seen === undefined ? mapped : { ...mapped, attributes: { ...mapped.attributes, via_map: String(seen) } };
    },
  },
});

/** A decimal number literal as (mantissa, scale): value = mantissa × 10^-scale. Independent of the code under test. */
function decimalValue(literal: string): { mantissa: bigint; scale: number } {
  const parts = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (parts === null) throw new Error(`not a number literal: ${literal}`);
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = parts;
  return { mantissa: BigInt(`${sign}${whole}${fraction}`), scale: fraction.length - Number(exponent) };
}
function sameValue(a: string, b: string): boolean {
  const x = decimalValue(a);
  const y = decimalValue(b);
  const scale = Math.max(x.scale, y.scale);
  return x.mantissa * 10n ** BigInt(scale - x.scale) === y.mantissa * 10n ** BigInt(scale - y.scale);
}
/** Plain decimal: no exponent, no leading zeros, no trailing fractional zeros, no "-0". */
const canonical = /^(0|-?[1-9]\d*|-?(0|[1-9]\d*)\.\d*[1-9])$/;

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const integerLiteral = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String);
const decimalLiteral = fc
  .record({
    negative: fc.boolean(),
    whole: fc.oneof(
      fc.constant("0"),
      digits(1, 22).map((d) => `${1 + (Number(d[0]) % 9)}${d.slice(1)}`),
    ),
    fraction: fc.option(digits(1, 30), { nil: undefined }),
    exponent: fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.integer({ min: 0, max: 40 })), {
      nil: undefined,
    }),
  })
  .map(
    ({ negative, whole, fraction, exponent }) =>
      `${negative ? "-" : ""}${whole}${fraction === undefined ? "" : `.${fraction}`}${exponent === undefined ? "" : exponent.join("")}`,
  );
const literal = fc.oneof(
  integerLiteral,
  decimalLiteral,
  fc.constantFrom("9007199254740993", "-9223372036854775809", "1e400", "0.1", "1E21"),
);

describe("numeric claims are kept exactly or left out", () => {
  it("the attribute equals the text's exact value, or is absent with a warning", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      fc.assert(
        fc.property(literal, literal, fc.boolean(), (tenant, org, duplicate) => {
          // A duplicate key before the real one: the last wins, as JSON.parse reads it.
          const text = `${duplicate ? `"tenant":1,` : ""}"tenant":${tenant},"org":{"id":${org},"x":[${tenant},${org}]}`;
          const principal = authenticator.authenticate(request(tokenWith(text))) as Principal;
          for (const [attribute, written] of [
            ["tenant", tenant],
            ["org", org],
          ] as const) {
            const kept = principal.attributes[attribute];
            if (kept === undefined) {
              expect(principal.warnings?.join("\n"), written).toMatch(new RegExp(`attribute ${attribute}: .*number too long`));
            } else {
              expect(kept, written).toMatch(canonical);
              expect(sameValue(kept, written), `${written} -> ${kept}`).toBe(true);
            }
          }
          const viaMap = principal.attributes.via_map;
          if (viaMap !== undefined) expect(sameValue(viaMap, tenant), `${tenant} -> map ${viaMap}`).toBe(true);
          else expect(principal.attributes.tenant).toBeUndefined();
        }),
        { numRuns: 2000 },
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("an integer claim compares to an int64 request field by its exact digits", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (id) => {
        const principal = authenticator.authenticate(request(tokenWith(`"tenant":${id}`))) as Principal;
        const field = canonicalValue(id.toString(), true);
        // Zero is unset in a request field; every other id is bound by exactly its own value.
        if (field !== undefined) expect(principal.attributes.tenant).toBe(field);
        expect(canonicalValue((id + 1n).toString(), true)).not.toBe(principal.attributes.tenant);
      }),
      { numRuns: 2000 },
    );
  });

  it("the claims principal.map reads are JSON.parse's, with only the inexact numbers replaced by their exact value", () => {
    const seenByMap: unknown[] = [];
    const spy = createJwtAuthenticator({
      issuer,
      audience: "api",
      algorithms: ["HS256"],
      key: { secret },
      cache: false,
      principal: {
        kind: "user",
        map: (claims, mapped) => {
          seenByMap.push(claims);
          return mapped;
        },
      },
    });
    const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "a\\b", "é\u2028"));
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), { maxKeys: 6 }), fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 64n }), (extra, big) => {
        const text = `${JSON.stringify(extra).slice(1, -1)}${Object.keys(extra).length > 0 ? "," : ""}"big":${big}`;
        seenByMap.length = 0;
        spy.authenticate(request(tokenWith(text)));
        // A number stays a number only when String() of it writes back the same digits
        // (2^53 + 16 does; 251286952164939776 is held exactly but writes as …780).
        const exact = String(Number(big)) === `${big}` ? `${big}` : `"${big}"`;
        const expected = JSON.parse(`{${text.replace(/"big":\d+$/, `"big":${exact}`)}}`);
        expect(seenByMap[0]).toEqual({ ...expected, sub: "u-1", iss: issuer, aud: "api", exp: now + 600 });
        expect(Object.getPrototypeOf(seenByMap[0])).toBe(Object.prototype);
      }),
      { numRuns: 500 },
    );
  });

  it("reads deeply nested claims without a stack overflow, refusing past 256 levels", () => {
    const nested = (depth: number) => `"deep":${"[".repeat(depth)}${"]".repeat(depth)},"tenant":9007199254740993`;
    expect((authenticator.authenticate(request(tokenWith(nested(200)))) as Principal).attributes.tenant).toBe("9007199254740993");
    expect(() => authenticator.authenticate(request(tokenWith(nested(1000))))).toThrow(/nest more than 256 levels/);
  });

  it("examples: 2^53 + 1, exponents, long fractions", () => {
    const attributeOf = (written: string) =>
      (authenticator.authenticate(request(tokenWith(`"tenant":${written}`))) as Principal).attributes.tenant;
    expect(attributeOf("9007199254740993")).toBe("9007199254740993");
    expect(attributeOf("18446744073709551617")).toBe("18446744073709551617");
    expect(attributeOf("1e3")).toBe("1000");
    expect(attributeOf("1E21")).toBe("1000000000000000000000");
    expect(attributeOf("-0")).toBe("0");
    expect(attributeOf("1.50")).toBe("1.5");
    expect(attributeOf("0.1000000000000000000001")).toBe("0.1000000000000000000001");
    const huge = authenticator.authenticate(request(tokenWith(`"tenant":1e400`))) as Principal;
    expect(huge.attributes.tenant).toBeUndefined();
    expect(huge.warnings).toContain('attribute tenant: claim "tenant" is a number too long to keep exactly (more than 80 characters)');
  });
});
