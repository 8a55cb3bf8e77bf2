// protoauthz as a user meets it: the packed packages installed into a fresh
// project outside the repository (scripts/consumer-e2e.mjs), then the CI
// workflow of examples/ci run step by step in that project's git repository.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../support/request.js";

let project = "";
let setup = { code: 1 as number | null, stdout: "", stderr: "" };

beforeAll(() => {
  const run = spawnSync(process.execPath, [join(repoRoot, "scripts/consumer-e2e.mjs"), "--keep"], { encoding: "utf8" });
  setup = { code: run.status, stdout: run.stdout, stderr: run.stderr };
  project = /^project: (.+)$/m.exec(run.stdout)?.[1] ?? "";
}, 480_000);
afterAll(() => {
  if (project !== "") rmSync(dirname(project), { recursive: true, force: true });
});

describe("a fresh project installing the packed packages", () => {
  it("generates with the README's layout, builds under strict, and serves the guarded matrix", () => {
    expect(setup.stderr).toBe("");
    expect(setup.code).toBe(0);
    const pinned = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
      .devDependencies;
    for (const line of [
      ...["@bufbuild/protobuf", "@connectrpc/connect", "@grpc/grpc-js", "@bufbuild/protoplugin"].map(
        (name) => `ok   one copy of ${name} (${pinned[name]})`,
      ),
      "ok   npm ls @bufbuild/protobuf shows one",
      "ok   npm ls @connectrpc/connect shows one",
      "ok   no unused src/gen/protoauthz/v1/authz_pb.ts",
      "ok   tsc (strict)",
      "matrix: ok",
      "commonjs consumer: ok",
    ]) {
      expect(setup.stdout).toContain(line);
    }
  });
});

/** The workflow's `run:` steps, as a pull request against main would run them. */
function workflowSteps(): string[] {
  const workflow = parse(readFileSync(join(repoRoot, "examples/ci/github-actions.yml"), "utf8")) as {
    jobs: Record<string, { steps: { run?: string; if?: string }[] }>;
  };
  return Object.values(workflow.jobs)
    .flatMap((job) => job.steps)
    .filter((step) => step.run !== undefined && (step.if === undefined || step.if === "github.event_name == 'pull_request'"))
    .map((step) => (step.run ?? "").replaceAll(/\$\{\{ github\.base_ref \}\}/g, "main").trim());
}

/** Runs the steps in order like Actions does: stop at the first that fails. */
function runWorkflow(): { step: string; code: number | null; output: string }[] {
  const results: { step: string; code: number | null; output: string }[] = [];
  for (const step of workflowSteps()) {
    const run = spawnSync("bash", ["-eo", "pipefail", "-c", step], { cwd: project, encoding: "utf8", env: { ...process.env, CI: "true" } });
    results.push({ step, code: run.status, output: `${run.stdout}${run.stderr}` });
    if (run.status !== 0) break;
  }
  return results;
}

/** A fixture edit that must apply exactly once, so a changed fixture fails here, not as a puzzling later step. */
function replaceOnce(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

const git = (...args: string[]) => execFileSync("git", args, { cwd: project, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("examples/ci/github-actions.yml in a git repository with two commits", () => {
  it("fails a pull request that loosens a rule, with the file and line, until a reviewed acknowledgement", () => {
    expect(project).not.toBe("");
    writeFileSync(join(project, ".gitignore"), "node_modules/\ndist/\n*.binpb\nauthz-surface.md\n");
    git("init", "--quiet", "--initial-branch=main");
    git("add", "-A");
    git("-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "commit", "--quiet", "-m", "base");
    git("update-ref", "refs/remotes/origin/main", "HEAD");
    // The base itself passes every step, so what fails below is the pull request's doing.
    const base = runWorkflow();
    expect(base.map((r) => [r.step, r.code, r.code === 0 ? "" : r.output])).toEqual(workflowSteps().map((s) => [s, 0, ""]));
    git("checkout", "--quiet", "-b", "feature");

    // The pull request: SyncNotes, admins only, opens to every user; the
    // developer updates the matrix test to match.
    const proto = join(project, "proto/notes/v1/notes.proto");
    const text = readFileSync(proto, "utf8");
    writeFileSync(proto, replaceOnce(text, 'principals: "user" roles: "admin" conditions:', 'principals: "user" conditions:'));
    const matrix = join(project, "src/matrix.ts");
    writeFileSync(
      matrix,
      replaceOnce(
        readFileSync(matrix, "utf8"),
        'syncNotes: ["unauthenticated", "denied", "ok", "denied", "denied"]',
        'syncNotes: ["unauthenticated", "ok", "ok", "denied", "denied"]',
      ),
    );
    // ... and the policy test, which would otherwise fail the workflow first.
    const policy = join(project, "authz/notes.authz-test.yaml");
    writeFileSync(
      policy,
      replaceOnce(
        readFileSync(policy, "utf8"),
        "expect: { admin: ALLOW, member: PERMISSION_DENIED, svc: PERMISSION_DENIED",
        "expect: { admin: ALLOW, member: ALLOW, svc: PERMISSION_DENIED",
      ),
    );
    execFileSync("npm", ["run", "generate"], { cwd: project, stdio: "ignore" });
    git("add", "-A");
    git("-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "commit", "--quiet", "-m", "every user may sync");

    const first = runWorkflow();
    const failed = first.at(-1);
    expect(first.slice(0, -1).map((r) => r.code)).toEqual(first.slice(0, -1).map(() => 0));
    expect(failed?.step, failed?.output).toContain("--against-git");
    expect(failed?.code).toBe(1);
    const line = text.split("\n").findIndex((l) => l.includes("rpc SyncNotes")) + 2; // its rule
    expect(failed?.output).toContain(
      `::error file=proto/notes/v1/notes.proto,line=${line},col=12,title=protoauthz%3A access loosened::/notes.v1.NoteService/SyncNotes: roles restriction removed (was "admin") (review it, then add "- rpc: notes.v1.NoteService.SyncNotes" with a reason to authz-acknowledgements.yaml)`,
    );
    // The base was built from a worktree that is gone again.
    expect(git("worktree", "list").trim().split("\n")).toHaveLength(1);

    // The reviewed acknowledgement, plus one that matches no loosening.
    writeFileSync(
      join(project, "authz-acknowledgements.yaml"),
      [
        "acknowledgements:",
        "  - rpc: notes.v1.NoteService.SyncNotes",
        '    reason: "every user may sync; reviewed by security in #42"',
        "  - rpc: notes.v1.NoteService.Ping",
        '    reason: "left over"',
        "",
      ].join("\n"),
    );
    git("add", "-A");
    git("-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "commit", "--quiet", "-m", "acknowledge");
    const second = runWorkflow();
    expect(second.map((r) => [r.step, r.code])).toEqual(workflowSteps().map((s) => [s, 0]));
    const gate = second.find((r) => r.step.includes("--against-git"))?.output ?? "";
    expect(gate).toContain("::notice file=proto/notes/v1/notes.proto");
    expect(gate).toMatch(
      /::warning file=authz-acknowledgements\.yaml,line=4,col=1,title=protoauthz%3A stale acknowledgement::notes\.v1\.NoteService\.Ping is acknowledged but does not loosen/,
    );
    expect(existsSync(join(project, "authz-surface.md"))).toBe(true);
    expect(readFileSync(join(project, "authz-surface.md"), "utf8")).toContain(
      "| `/notes.v1.NoteService/SyncNotes` | authenticated | `user` |  |  |",
    );
  }, 480_000);
});
