// `check --against-git` judges what `buf generate` ships: each side with its
// own buf.gen.yaml, every protoc-gen-authz entry read, the entry's
// types/exclude_types applied by buf itself, and a configuration change that
// loosens reported at its buf.gen.yaml line. Real git repositories, real
// buf.gen.yaml files, the CLI binary, and real `buf generate` as the oracle.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, cliBin, runCli, scratch } from "./support/check-cli.js";
import { repoRoot } from "./support/request.js";

const work = scratch("gate-config");
afterAll(() => rmSync(work, { recursive: true, force: true }));
let repos = 0;

const api = (ruleA: string) =>
  [
    'syntax = "proto3";',
    "package api.v1;",
    'import "protoauthz/v1/authz.proto";',
    "message Req { string id = 1; }",
    "service Api {",
    `  rpc A(Req) returns (Req) { option (protoauthz.v1.rule) = { ${ruleA}: { reason: "x" } }; }`,
    "  rpc B(Req) returns (Req);",
    "}",
    "service Other {",
    '  rpc C(Req) returns (Req) { option (protoauthz.v1.rule) = { deny: { reason: "x" } }; }',
    "}",
    "",
  ].join("\n");

/** A protoc-gen-authz entry as users write it; `extra` lines go under it (types, exclude_types). */
const entry = (opt: string, { out = "gen", local = `[node, ${JSON.stringify(cliBin)}]`, extra = [] as string[] } = {}) =>
  [`  - local: ${local}`, `    out: ${out}`, "    strategy: all", `    opt: [${opt}]`, ...extra.map((l) => `    ${l}`)].join("\n");
const bufGen = (...entries: string[]) => ["version: v2", "inputs:", "  - directory: proto", "plugins:", ...entries, ""].join("\n");
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

/** A git repository whose base commit and head commit (checked out) hold these protos and buf.gen.yaml. */
function repository(base: { proto: string; gen: string }, head: { proto: string; gen: string }): string {
  const repo = join(work, `r${++repos}`);
  mkdirSync(join(repo, "proto/api/v1"), { recursive: true });
  cpSync(join(repoRoot, "proto/protoauthz"), join(repo, "proto/protoauthz"), { recursive: true });
  writeFileSync(join(repo, "buf.yaml"), "version: v2\nmodules:\n  - path: proto\n");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd: repo, stdio: "ignore" });
  const commit = (side: { proto: string; gen: string }, message: string) => {
    writeFileSync(join(repo, "proto/api/v1/api.proto"), side.proto);
    writeFileSync(join(repo, "buf.gen.yaml"), side.gen);
    git("add", "-A");
    git("commit", "--quiet", "--allow-empty", "-m", message);
  };
  git("init", "--quiet", "--initial-branch=main");
  commit(base, "base");
  commit(head, "head");
  return repo;
}
const check = (repo: string, ...args: string[]) => runCli(repo, "check", "proto", "--against-git", "HEAD~1", ...args);
const acknowledge = (repo: string, rpcs: string[]) =>
  writeFileSync(
    join(repo, "acks.yaml"),
    ["acknowledgements:", ...rpcs.flatMap((r) => [`  - rpc: ${r}`, "    reason: reviewed in #17"]), ""].join("\n"),
  );

describe("check --against-git judges what buf generate ships", () => {
  it("exclude_types naming the package: the RPC turned public still declared, its table no longer generated, is a loosening at the buf.gen.yaml line", () => {
    const head = bufGen(entry("target=ts, undeclared=deny", { extra: ['exclude_types: ["api.v1"]'] }));
    const repo = repository({ proto: api("deny"), gen: bufGen(entry("target=ts, undeclared=deny")) }, { proto: api("public"), gen: head });
    const line = lineOf(head, "exclude_types");
    const run = check(repo);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^buf\\.gen\\.yaml:${line}:5: LOOSENS: /api\\.v1\\.Api/A: no longer generated`, "m"));
    expect(run.stdout).not.toMatch(/RPC removed/);
    const github = check(repo, "--format", "github");
    expect(github.stdout).toMatch(
      new RegExp(`^::error file=buf\\.gen\\.yaml,line=${line},col=5,title=protoauthz%3A access loosened::/api\\.v1\\.Api/A`, "m"),
    );
    acknowledge(repo, ["api.v1.Api.A", "api.v1.Api.B", "api.v1.Other.C"]);
    expect(check(repo, "--acknowledgements", "acks.yaml")).toMatchObject({ code: 0 });
  }, 180_000);

  it("undeclared=deny → audit: the base is judged with the base's own buf.gen.yaml", () => {
    const head = bufGen(entry("target=ts, undeclared=audit"));
    const repo = repository({ proto: api("deny"), gen: bufGen(entry("target=ts, undeclared=deny")) }, { proto: api("deny"), gen: head });
    const run = check(repo);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/LOOSENS: \/api\.v1\.Api\/B: deny → audit/);
    expect(run.stdout).toMatch(
      new RegExp(
        `^buf\\.gen\\.yaml:${lineOf(head, "undeclared=")}:5: LOOSENS: /buf\\.gen\\.yaml/undeclared: undeclared=deny → undeclared=audit`,
        "m",
      ),
    );
    acknowledge(repo, ["api.v1.Api.B", "buf.gen.yaml.undeclared"]);
    expect(check(repo, "--acknowledgements", "acks.yaml")).toMatchObject({ code: 0 });
  }, 180_000);

  it("a second protoc-gen-authz entry: disagreeing entries are refused naming both lines until --plugin-entry names the one that ships", () => {
    const base = bufGen(entry("target=ts, undeclared=deny"));
    const head = bufGen(
      entry("target=ts, undeclared=deny", { out: "gen/unused", local: "./node_modules/.bin/protoc-gen-authz" }),
      entry("target=ts, undeclared=audit", { local: "[npx, protoc-gen-authz]" }),
    );
    const repo = repository({ proto: api("deny"), gen: base }, { proto: api("deny"), gen: head });
    const refused = check(repo);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `buf\\.gen\\.yaml:${lineOf(head, "- local: ./node_modules")} and buf\\.gen\\.yaml:${lineOf(head, "- local: [npx")}: two protoc-gen-authz entries generate different tables \\(undeclared: deny on line \\d+, audit on line \\d+\\).*--plugin-entry <out>`,
      ),
    );
    const chosen = check(repo, "--plugin-entry", "gen");
    expect(chosen.code, chosen.stdout + chosen.stderr).toBe(1);
    expect(chosen.stdout).toMatch(/LOOSENS: \/api\.v1\.Api\/B: deny → audit/);
    expect(check(repo, "--plugin-entry", "nowhere")).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--plugin-entry nowhere: no protoc-gen-authz entry/),
    });
  }, 180_000);

  it("a closed vocabulary dropped loosens at its line; a remote authz entry counts as an entry", () => {
    const vocabulary = "target=ts, undeclared=deny, principals=user|service";
    const head = bufGen(
      entry("target=ts, undeclared=deny"),
      "  - remote: buf.build/acme/authz:v1\n    out: gen2\n    opt: [target=ts, undeclared=deny, principals=user|service]",
    );
    const repo = repository({ proto: api("deny"), gen: bufGen(entry(vocabulary)) }, { proto: api("deny"), gen: head });
    expect(check(repo).stderr).toMatch(
      /two protoc-gen-authz entries generate different tables \(principals: unset on line \d+, user\|service on line \d+\)/,
    );
    const run = check(repo, "--plugin-entry", "gen");
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(
      /^buf\.gen\.yaml:\d+:5: LOOSENS: \/buf\.gen\.yaml\/principals: principals vocabulary dropped \(was user\|service\)/m,
    );
  }, 180_000);
});

describe("types and exclude_types, against real buf generate", () => {
  /** procedure → access, from a Markdown surface (the plugin's report= file or `report`). */
  const rows = (markdown: string) =>
    Object.fromEntries([...markdown.matchAll(/^\| `([^`]+)` \| \**(\w+)\**/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));

  /** buf generate with the real plugin and this entry's extra lines, against `report` of the same buf.gen.yaml. */
  function agrees(repo: string, extra: readonly string[]) {
    writeFileSync(
      join(repo, "buf.gen.yaml"),
      bufGen(entry("target=ts, undeclared=deny, registry=, report=AUTHZ.md", { extra: [...extra] })),
    );
    rmSync(join(repo, "gen"), { recursive: true, force: true });
    const generate = spawnSync(join(repoRoot, "node_modules/.bin/buf"), ["generate"], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, PATH: binPath },
    });
    const report = runCli(repo, "report", "proto");
    if (generate.status !== 0) {
      expect(report.code, `${extra}: buf generate failed (${generate.stderr}), report must too`).toBe(2);
      expect(report.stderr).toMatch(/buf generate refuses this protoc-gen-authz entry/);
      return;
    }
    expect(report.code, `${extra}: ${report.stderr}`).toBe(0);
    const shipped = existsSync(join(repo, "gen/AUTHZ.md")) ? rows(readFileSync(join(repo, "gen/AUTHZ.md"), "utf8")) : {};
    expect(rows(report.stdout), `${extra}`).toEqual(shipped);
  }
  const blank = () => repository({ proto: api("public"), gen: "version: v2\n" }, { proto: api("public"), gen: "version: v2\n" });

  it("report lists exactly the tables buf generate writes, for every form buf accepts, and fails where buf fails", () => {
    const forms = [
      [],
      ["exclude_types: [api.v1]"],
      ["exclude_types: [api.v1.**]"],
      ["exclude_types: [api]"],
      ["exclude_types: [api.v1.Other]"],
      ["exclude_types: [api.v1.Api.A]"],
      ["exclude_types: [protoauthz.v1.rule]"],
      ["exclude_types: [google.protobuf.MethodOptions]"],
      ["types: [api.v1.Api.A]"],
      ["types: [api.v1.Other]", "exclude_types: [api.v1.Api]"],
      ["exclude_types: [api.v1.Req]"],
      ["exclude_types: [nope.v1]"],
    ];
    const repo = blank();
    for (const extra of forms) agrees(repo, extra);
  }, 600_000);

  it("property: any types/exclude_types drawn from the API's names reads as buf generate applies it", () => {
    const names = [
      "api",
      "api.v1",
      "api.v1.**",
      "api.v1.Api",
      "api.v1.Api.A",
      "api.v1.Api.B",
      "api.v1.Other",
      "api.v1.Other.C",
      "api.v1.Req",
    ];
    const names2 = [...names, "protoauthz.v1", "protoauthz.v1.rule", "protoauthz.v1.Public", "google.protobuf"];
    const list = (pool: string[]) => fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 2 });
    const repo = blank();
    fc.assert(
      fc.property(list(names), list(names2), (types, excluded) => {
        agrees(repo, [
          ...(types.length > 0 ? [`types: [${types.join(", ")}]`] : []),
          ...(excluded.length > 0 ? [`exclude_types: [${excluded.join(", ")}]`] : []),
        ]);
      }),
      { numRuns: 6 },
    );
  }, 600_000);
});
