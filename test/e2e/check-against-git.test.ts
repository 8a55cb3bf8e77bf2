// `check --against-git` in an npm-workspaces monorepo: node_modules (not in
// git) at the root, protos in a workspace package, the base built in a
// worktree that borrows the checkout's node_modules, run from the root and
// from the package folder.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rpc, runCli, scratch, svc } from "../support/check-cli.js";
import { repoRoot } from "../support/request.js";

const repo = scratch("monorepo");
afterAll(() => rmSync(repo, { recursive: true, force: true }));
const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd: repo, stdio: "ignore" });
const proto = join(repo, "services/notes/proto/check/v1/api.proto");
const write = (body: string) =>
  writeFileSync(
    proto,
    `syntax = "proto3";\npackage check.v1;\nimport "protoauthz/v1/authz.proto";\nmessage Req { string sandbox_id = 1; }\n${body}\n`,
  );

describe("check --against-git in an npm-workspaces monorepo", () => {
  it("builds the base from git with the checkout's node_modules, from the root and from the package", () => {
    writeFileSync(join(repo, "package.json"), JSON.stringify({ private: true, workspaces: ["services/*"] }));
    writeFileSync(join(repo, ".gitignore"), "node_modules/\n");
    writeFileSync(
      join(repo, "buf.yaml"),
      "version: v2\nmodules:\n  - path: services/notes/proto\n  - path: node_modules/protoauthz/proto\n",
    );
    mkdirSync(join(repo, "services/notes/proto/check/v1"), { recursive: true });
    writeFileSync(join(repo, "services/notes/package.json"), JSON.stringify({ name: "notes", private: true }));
    cpSync(join(repoRoot, "proto"), join(repo, "node_modules/protoauthz/proto"), { recursive: true });
    write(svc(rpc("A", `{ deny: { reason: "x" } }`)));
    git("init", "--quiet", "--initial-branch=main");
    git("add", "-A");
    git("commit", "--quiet", "-m", "base");
    write(svc(rpc("A", `{ public: { reason: "x" } }`)));
    git("commit", "--quiet", "-am", "A is public");

    const line =
      readFileSync(proto, "utf8")
        .split("\n")
        .findIndex((l) => l.includes("rpc A")) + 1;
    const fromRoot = runCli(repo, "check", "services/notes/proto", "--against-git", "HEAD~1");
    expect(fromRoot.code).toBe(1);
    expect(fromRoot.stdout).toContain(`services/notes/proto/check/v1/api.proto:${line}:`);
    expect(fromRoot.stdout).toMatch(/LOOSENS: \/check\.v1\.Api\/A: deny → public/);

    const fromPackage = runCli(join(repo, "services/notes"), "check", "proto", "--against-git", "HEAD~1", "--format", "github");
    expect(fromPackage.code).toBe(1);
    expect(fromPackage.stdout).toMatch(
      new RegExp(
        `^::error file=services/notes/proto/check/v1/api\\.proto,line=${line},col=\\d+,title=protoauthz%3A access loosened::/check\\.v1\\.Api/A: deny → public`,
        "m",
      ),
    );
    expect(runCli(repo, "check", "services/notes/proto", "--against-git", "HEAD")).toMatchObject({ code: 0 });
    // No worktree is left behind, and an unknown ref says how to get it.
    expect(execFileSync("git", ["worktree", "list"], { cwd: repo, encoding: "utf8" }).trim().split("\n")).toHaveLength(1);
    const unknown = runCli(repo, "check", "services/notes/proto", "--against-git", "origin/nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--against-git origin\/nope: no such commit here \(fetch it first/);
  });
});
