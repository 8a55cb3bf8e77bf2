// Every error message a user can meet has an entry, with its fix, in
// docs/troubleshooting.md: each message runtime/src and plugin/src throw or
// report is looked up there by its first words.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/request.js";
import { normalized, sourceFiles, userMessages } from "../support/user-messages.js";

describe("troubleshooting", () => {
  it("every message runtime/src and plugin/src throw or report has an entry in docs/troubleshooting.md", () => {
    const page = normalized(readFileSync(join(repoRoot, "docs/troubleshooting.md"), "utf8"));
    const missing = [...sourceFiles("runtime/src"), ...sourceFiles("plugin/src")].flatMap((file) =>
      userMessages(readFileSync(join(repoRoot, file), "utf8"))
        .filter((message) => !page.includes(message))
        .map((message) => `${file}: "${message}…" has no entry in docs/troubleshooting.md (add the message with its fix)`),
    );
    expect(missing).toEqual([]);
  });

  it("finds messages in throws and problem lists", () => {
    expect(
      userMessages(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a source text holding a template literal, on purpose
        'throw new TypeError(`protoauthz/jwt: ${what} must be a number of seconds`);\nproblems.push({ problem: "any_of has one alternative", fix: "x" });\nset.add(1);',
      ),
    ).toEqual(["must be a number of seconds", "any_of has one alternative"]);
    expect(
      userMessages('throw configError("protoauthz/jwt issuer", "no issuer", "set issuer (or x)", "the JWT authenticator cannot start");'),
    ).toEqual(["set issuer (or x)", "the jwt authenticator cannot start"]);
  });
});
