import { AuthenticationError, type Authenticator, type AuthnRequest, authenticateWith, type Principal } from "protoauthz";
import { describe, expect, it } from "vitest";

// authenticateWith has a map-free path for one authenticator (the hot path of
// every guarded call); it must answer exactly as the general composition does.
// The general path is reached by adding an authenticator that never sees a
// credential, which cannot change any outcome.
const principal: Principal = { kind: "user", subject: "u", scopes: [], roles: [], attributes: {} };
const bystander: Authenticator = { name: "bystander", credential: "header:x-none", inspect: () => "absent", authenticate: () => principal };

function outcome(authenticate: (r: AuthnRequest) => unknown, request: AuthnRequest): string {
  try {
    const answer = authenticate(request);
    return answer === undefined ? "anonymous" : `principal ${(answer as Principal).subject}`;
  } catch (error) {
    return `${error instanceof AuthenticationError ? "AuthenticationError" : "Error"}: ${(error as Error).message}`;
  }
}

describe("authenticateWith with one authenticator", () => {
  const cases = [];
  for (const seen of ["absent", "mine", "not-mine"] as const)
    for (const credential of ["authorization", "header:x-key", undefined])
      for (const authorization of [null, "Bearer t"])
        for (const fails of [false, true]) cases.push({ seen, credential, authorization, fails });

  it.each(cases)("answers as the general composition: %o", ({ seen, credential, authorization, fails }) => {
    const one: Authenticator = {
      name: "one",
      ...(credential === undefined ? {} : { credential }),
      inspect: () => seen,
      authenticate: () => {
        if (fails) throw new AuthenticationError("bad credential");
        return principal;
      },
    };
    const header = new Headers(authorization === null ? {} : { authorization });
    const request: AuthnRequest = { procedure: "/p.S/M", header, peer: undefined };
    expect(outcome(authenticateWith(one), request)).toBe(outcome(authenticateWith(one, bystander), request));
  });
});
