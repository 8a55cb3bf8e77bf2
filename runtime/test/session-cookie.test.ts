// The session cookie credential and its CSRF defence, through the guard's own
// authorize(): the request objects are built as the adapters build them.
import fc from "fast-check";
import { SignJWT } from "jose";
import { type AuthnRequest, AuthzConfigError, type AuthzEvent, authenticateWith, createGuard } from "protoauthz";
import { createJwtAuthenticator } from "protoauthz/jwt";
import { type CsrfOptions, createSessionCookieAuthenticator } from "protoauthz/session";
import { describe, expect, it } from "vitest";
import { type AuthzPrincipal, authzVocabulary } from "../../examples/sandbox-gateway/gen/authz_registry.js";
import { SandboxServiceAuthz } from "../../examples/sandbox-gateway/gen/sandboxgw/v1/gateway_authz.js";

const secret = "session-cookie-test-secret-0123456789";
const issuer = "https://login.example";
const users = createJwtAuthenticator({
  name: "users",
  issuer,
  audience: "gateway",
  algorithms: ["HS256"],
  key: { secret },
  principal: { kind: "user", rolesClaim: "roles" },
  vocabulary: authzVocabulary,
});

const token = (sub: string, options: { iss?: string; key?: string; exp?: string | number; roles?: string[] } = {}) =>
  new SignJWT({ iss: options.iss ?? issuer, aud: "gateway", sub, roles: options.roles ?? [] })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "5m")
    .sign(new TextEncoder().encode(options.key ?? secret));

function guardWith(csrf?: CsrfOptions, resolve?: (id: string) => AuthzPrincipal | undefined | Promise<AuthzPrincipal | undefined>) {
  const events: AuthzEvent[] = [];
  const session =
    resolve === undefined
      ? createSessionCookieAuthenticator({ cookie: "__Host-session", jwt: users, ...(csrf ? { csrf } : {}) })
      : createSessionCookieAuthenticator<AuthzPrincipal>({ cookie: "sid", resolve, ...(csrf ? { csrf } : {}) });
  const guard = createGuard([SandboxServiceAuthz], {
    authenticate: authenticateWith<AuthzPrincipal>(users, session),
    vocabulary: authzVocabulary,
    audit: (e) => events.push(e),
  });
  const call = async (
    method: "GetSandbox" | "DeleteSandbox" | "CreateSandbox",
    request: Partial<Omit<AuthnRequest, "header">> & { header?: Record<string, string> },
  ) => {
    const authorization = await guard.authorize({
      procedure: `/sandboxgw.v1.SandboxService/${method}`,
      peer: undefined,
      httpMethod: "POST",
      noSideEffects: method === "GetSandbox",
      ...request,
      header: new Headers(request.header ?? {}),
    });
    const decision = authorization.decision;
    return decision.allowed ? `allowed ${authorization.principal?.subject}` : `${decision.code} ${decision.reason}`;
  };
  return { call, events };
}

const sameOrigin = { "sec-fetch-site": "same-origin" };

describe("session cookie holding a JWT", () => {
  it("admits a valid cookie from the same origin, verified as the bearer token would be", async () => {
    const { call } = guardWith();
    const cookie = `theme=dark; __Host-session=${await token("alice")}; other=1`;
    expect(await call("GetSandbox", { header: { cookie, ...sameOrigin } })).toBe("allowed alice");
    expect(await call("GetSandbox", { header: { authorization: `Bearer ${await token("alice")}` } })).toBe("allowed alice");
  });

  it("refuses expired, forged and foreign-issuer cookies as invalid credentials", async () => {
    const { call } = guardWith();
    const expired = await token("alice", { exp: Math.floor(Date.now() / 1000) - 3600 });
    const forged = await token("alice", { key: "another-secret-0123456789abcdefghij" });
    const foreign = await token("alice", { iss: "https://evil.example" });
    for (const value of [expired, forged, foreign, "not-a-jwt", ""]) {
      expect(await call("GetSandbox", { header: { cookie: `__Host-session=${value}`, ...sameOrigin } })).toBe(
        "unauthenticated invalid_credentials",
      );
    }
  });

  it("refuses a cookie sent twice (a sibling subdomain can plant a second one)", async () => {
    const { call } = guardWith();
    const cookie = `__Host-session=${await token("alice")}; __Host-session=${await token("mallory")}`;
    expect(await call("GetSandbox", { header: { cookie, ...sameOrigin } })).toBe("unauthenticated invalid_credentials");
  });

  it("refuses a cookie whose request does not show an allowed origin, with its own reason", async () => {
    const { call, events } = guardWith({ allowedOrigins: ["https://app.example"] });
    const cookie = `__Host-session=${await token("alice")}`;
    const refused = "unauthenticated cross_site_request";
    expect(await call("GetSandbox", { header: { cookie } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, "sec-fetch-site": "cross-site" } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, "sec-fetch-site": "same-site" } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, "sec-fetch-site": "none" } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, origin: "https://evil.example" } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, origin: "null" } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, origin: "https://app.example.evil" } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, "sec-fetch-site": "same-origin, cross-site" } })).toBe(refused);
    expect(await call("GetSandbox", { header: { cookie, origin: "https://app.example", "sec-fetch-site": "cross-site" } })).toBe(
      "allowed alice",
    );
    const event = events.find((e) => e.reason === "cross_site_request");
    expect(event).toMatchObject({ code: "unauthenticated", procedure: "/sandboxgw.v1.SandboxService/GetSandbox" });
    expect(event?.detail).toContain("does not show an allowed origin");
    // A forged cookie from another site is refused for being cross-site: nothing of it is verified.
    expect(await call("GetSandbox", { header: { cookie: "__Host-session=forged" } })).toBe(refused);
  });

  it("admits same-site only when configured", async () => {
    const cookie = `__Host-session=${await token("alice")}`;
    expect(await guardWith({ allowSameSite: true }).call("GetSandbox", { header: { cookie, "sec-fetch-site": "same-site" } })).toBe(
      "allowed alice",
    );
    expect(await guardWith({ allowSameSite: true }).call("GetSandbox", { header: { cookie, "sec-fetch-site": "cross-site" } })).toBe(
      "unauthenticated cross_site_request",
    );
  });

  it("admits a GET with the cookie only to an RPC declared NO_SIDE_EFFECTS", async () => {
    const { call } = guardWith();
    const cookie = `__Host-session=${await token("root", { roles: ["admin"] })}`;
    expect(await call("GetSandbox", { httpMethod: "GET", header: { cookie, ...sameOrigin } })).toBe("allowed root");
    expect(await call("DeleteSandbox", { httpMethod: "GET", header: { cookie, ...sameOrigin } })).toBe(
      "unauthenticated cross_site_request",
    );
    expect(await call("DeleteSandbox", { httpMethod: "POST", header: { cookie, ...sameOrigin } })).toBe("allowed root");
    // An adapter that does not report the method cannot have a GET told apart: refused.
    expect(await call("GetSandbox", { httpMethod: undefined, header: { cookie, ...sameOrigin } })).toBe(
      "unauthenticated cross_site_request",
    );
  });

  it("leaves bearer tokens alone: a cross-site page cannot set the header", async () => {
    const { call } = guardWith();
    const authorization = `Bearer ${await token("alice")}`;
    expect(await call("GetSandbox", { header: { authorization, "sec-fetch-site": "cross-site", origin: "https://evil.example" } })).toBe(
      "allowed alice",
    );
    const root = `Bearer ${await token("root", { roles: ["admin"] })}`;
    expect(await call("DeleteSandbox", { httpMethod: "GET", header: { authorization: root } })).toBe("allowed root");
  });

  it("checks a cookie and a bearer token on one call both", async () => {
    const { call } = guardWith();
    const good = await token("alice");
    const bad = await token("alice", { key: "another-secret-0123456789abcdefghij" });
    const both = (cookie: string, bearer: string, site = "same-origin") =>
      call("GetSandbox", { header: { cookie: `__Host-session=${cookie}`, authorization: `Bearer ${bearer}`, "sec-fetch-site": site } });
    expect(await both(good, good)).toBe("allowed alice");
    expect(await both(bad, good)).toBe("unauthenticated invalid_credentials");
    expect(await both(good, bad)).toBe("unauthenticated invalid_credentials");
    expect(await both(good, good, "cross-site")).toBe("unauthenticated cross_site_request");
  });
});

describe("session cookie holding an opaque session id", () => {
  const alice: AuthzPrincipal = { kind: "user", subject: "alice", scopes: [], roles: [], attributes: {} };
  it("resolves known sessions, refuses unknown ones, and fails closed when the lookup fails", async () => {
    const sessions = new Map([["s-1", alice]]);
    const { call } = guardWith(undefined, async (id) => {
      if (id === "boom") throw new Error("session store down");
      return sessions.get(id);
    });
    expect(await call("GetSandbox", { header: { cookie: "sid=s-1", ...sameOrigin } })).toBe("allowed alice");
    expect(await call("GetSandbox", { header: { cookie: "sid=s-2", ...sameOrigin } })).toBe("unauthenticated invalid_credentials");
    expect(await call("GetSandbox", { header: { cookie: "sid=boom", ...sameOrigin } })).toBe("unavailable authenticator_failed");
    expect(await call("GetSandbox", { header: { cookie: "sid=s-1", "sec-fetch-site": "cross-site" } })).toBe(
      "unauthenticated cross_site_request",
    );
  });

  it("never asks the lookup about a cross-site request", async () => {
    const asked: string[] = [];
    const { call } = guardWith(undefined, (id) => {
      asked.push(id);
      return alice;
    });
    await call("GetSandbox", { header: { cookie: "sid=s-1", origin: "https://evil.example" } });
    expect(asked).toEqual([]);
  });
});

describe("session cookie options", () => {
  const cases: [string, unknown, string][] = [
    ["no credential source", { cookie: "sid" }, "needs exactly one of them"],
    ["both sources", { cookie: "sid", jwt: users, resolve: () => undefined }, "needs exactly one of them"],
    ["bad cookie name", { cookie: "a b", resolve: () => undefined }, "cookie: is not a cookie name"],
    [
      "origin with a path",
      { cookie: "sid", resolve: () => undefined, csrf: { allowedOrigins: ["https://app.example/"] } },
      "not an origin",
    ],
    ["origin in capitals", { cookie: "sid", resolve: () => undefined, csrf: { allowedOrigins: ["https://App.example"] } }, "not an origin"],
    ["wildcard origin", { cookie: "sid", resolve: () => undefined, csrf: { allowedOrigins: ["*"] } }, "not an origin"],
    [
      "not a jwt authenticator",
      { cookie: "sid", jwt: { name: "x", inspect: () => "absent", authenticate: () => ({}) } },
      "createJwtAuthenticator",
    ],
  ];
  it.each(cases)("%s is refused at creation", (_name, options, message) => {
    expect(() => createSessionCookieAuthenticator(options as never)).toThrow(AuthzConfigError);
    expect(() => createSessionCookieAuthenticator(options as never)).toThrow(message);
  });
});

describe("CSRF property", () => {
  it("a cookie call is admitted exactly when it shows same-origin, allowed same-site or an allowed origin, and is no GET to a side-effecting RPC", async () => {
    const cookie = `__Host-session=${await token("alice", { roles: ["admin"] })}`;
    const site = fc.option(fc.constantFrom("same-origin", "same-site", "cross-site", "none", "SAME-ORIGIN", "same-origin "), {
      nil: undefined,
    });
    const origin = fc.option(
      fc.constantFrom("https://app.example", "https://evil.example", "null", "https://app.example:443", "http://app.example"),
      {
        nil: undefined,
      },
    );
    await fc.assert(
      fc.asyncProperty(
        site,
        origin,
        fc.constantFrom("POST", "GET", undefined),
        fc.constantFrom("GetSandbox", "DeleteSandbox") as fc.Arbitrary<"GetSandbox" | "DeleteSandbox">,
        fc.boolean(),
        fc.boolean(),
        async (s, o, httpMethod, method, allowSameSite, allowApp) => {
          const { call } = guardWith({ allowSameSite, allowedOrigins: allowApp ? ["https://app.example"] : [] });
          const header: Record<string, string> = { cookie };
          if (s !== undefined) header["sec-fetch-site"] = s;
          if (o !== undefined) header.origin = o;
          const got = await call(method, { httpMethod, header });
          // HTTP drops a value's surrounding whitespace; nothing else is normalized.
          const shows =
            s?.trim() === "same-origin" || (s?.trim() === "same-site" && allowSameSite) || (o === "https://app.example" && allowApp);
          const safeMethod = httpMethod === "POST" || (httpMethod === "GET" && method === "GetSandbox");
          expect(got).toBe(shows && safeMethod ? "allowed alice" : "unauthenticated cross_site_request");
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});
