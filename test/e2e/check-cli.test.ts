import { rmSync } from "node:fs";
// `protoc-gen-authz check` and `report` over real buf images, as CI runs them.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, protoDir, rpc, runCli, scratch, svc } from "../support/check-cli.js";
import { repoRoot } from "../support/request.js";

const work = scratch("check");
afterAll(() => rmSync(work, { recursive: true, force: true }));
let images = 0;

/** Builds an image of one proto file (package check.v1) with buf. */
function image(body: string): string {
  const dir = protoDir(join(work, `img-${++images}`), body);
  return buildImage(dir, join(dir, "image.binpb"));
}

/** The CLI from a folder without buf.gen.yaml, as on a bare image. */
const cli = (...args: string[]) => runCli(work, ...args);

describe("check", () => {
  it("passes a clean image and fails one with problems, listing every one", () => {
    expect(cli("check", image(svc(rpc("A", `{ public: { reason: "ok" } }`))))).toMatchObject({ code: 0, stdout: "protoauthz check: ok\n" });
    const bad = cli(
      "check",
      image(svc([rpc("A"), rpc("B", "{}"), rpc("C", `{ authenticated: { bindings: { field: "nope" attribute: "x" } } }`)].join("\n"))),
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/check\/v1\/api\.proto:\d+:\d+: check\.v1\.Api\.A: no rule/);
    expect(bad.stdout).toMatch(/check\.v1\.Api\.B: rule sets no access/);
    expect(bad.stdout).toMatch(/check\.v1\.Api\.C: binding field "nope" does not exist/);
  });

  it("speaks JSON and GitHub annotations", () => {
    const img = image(svc(rpc("A")));
    const json = JSON.parse(cli("check", img, "--format", "json").stdout);
    expect(json).toMatchObject({ ok: false, problems: [{ file: "check/v1/api.proto", line: 6, column: 3, element: "check.v1.Api.A" }] });
    expect(cli("check", img, "--format", "github").stdout).toMatch(
      /^::error file=check\/v1\/api\.proto,line=6,col=3,title=protoauthz::check\.v1\.Api\.A: no rule/,
    );
  });

  it("checks against a closed vocabulary", () => {
    const img = image(svc(rpc("A", `{ authenticated: { principals: "robot" } }`)));
    expect(cli("check", img).code).toBe(0);
    expect(cli("check", img, "--principals", "user|service").stdout).toMatch(/principal "robot" is not in the declared vocabulary/);
  });

  it("reports bad input and usage with exit code 2", () => {
    expect(cli("check", join(work, "missing.binpb"))).toMatchObject({ code: 2 });
    expect(cli("check", "--format", "xml", image(svc(rpc("A", `{ public: { reason: "ok" } }`))))).toMatchObject({ code: 2 });
    expect(cli("frobnicate").code).toBe(2);
  });
});

describe("check --against", () => {
  const cases: [string, string, string, RegExp][] = [
    [
      "deny → public",
      svc(rpc("A", `{ deny: { reason: "x" } }`)),
      svc(rpc("A", `{ public: { reason: "x" } }`)),
      /LOOSENS: \/check\.v1\.Api\/A: deny → public/,
    ],
    ["deny → authenticated", svc(rpc("A", `{ deny: { reason: "x" } }`)), svc(rpc("A", `{ authenticated: {} }`)), /deny → authenticated/],
    [
      "authenticated → public",
      svc(rpc("A", `{ authenticated: {} }`)),
      svc(rpc("A", `{ public: { reason: "x" } }`)),
      /authenticated → public/,
    ],
    [
      "kind restriction removed",
      svc(rpc("A", `{ authenticated: { principals: "user" } }`)),
      svc(rpc("A", `{ authenticated: {} }`)),
      /principal kinds restriction removed/,
    ],
    [
      "kind added",
      svc(rpc("A", `{ authenticated: { principals: "user" } }`)),
      svc(rpc("A", `{ authenticated: { principals: ["user", "sandbox"] } }`)),
      /principal kinds added: "sandbox"/,
    ],
    [
      "scope removed",
      svc(rpc("A", `{ authenticated: { scopes: ["a", "b"] } }`)),
      svc(rpc("A", `{ authenticated: { scopes: "a" } }`)),
      /scopes no longer required: "b"/,
    ],
    [
      "role added",
      svc(rpc("A", `{ authenticated: { roles: "admin" } }`)),
      svc(rpc("A", `{ authenticated: { roles: ["admin", "member"] } }`)),
      /roles added: "member"/,
    ],
    [
      "role requirement removed",
      svc(rpc("A", `{ authenticated: { roles: "admin" } }`)),
      svc(rpc("A", `{ authenticated: {} }`)),
      /roles restriction removed/,
    ],
    [
      "binding removed",
      svc(rpc("A", `{ authenticated: { bindings: { field: "sandbox_id" attribute: "sandbox_id" } } }`)),
      svc(rpc("A", `{ authenticated: {} }`)),
      /bindings no longer required: "sandbox_id=sandbox_id"/,
    ],
    [
      "new public RPC",
      svc(rpc("A", `{ deny: { reason: "x" } }`)),
      svc([rpc("A", `{ deny: { reason: "x" } }`), rpc("B", `{ public: { reason: "x" } }`)].join("\n")),
      /LOOSENS: \/check\.v1\.Api\/B: new RPC, public/,
    ],
    [
      "a service default that loosens what it is inherited by",
      svc(rpc("A"), `{ authenticated: { principals: "user" } }`),
      svc(rpc("A"), `{ public: { reason: "x" } }`),
      /LOOSENS: \/check\.v1\.Api\/A: authenticated → public \(via the service's default_rule\)/,
    ],
  ];

  it.each(cases)("%s fails until acknowledged", (_name, before, after, message) => {
    const previous = image(before);
    const current = image(after);
    const run = cli("check", current, "--against", previous);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(message);
    const procedure = /LOOSENS: (\/check\.v1\.Api\/\w+)/.exec(run.stdout)?.[1] ?? "";
    expect(cli("check", current, "--against", previous, "--allow-loosening", procedure).code).toBe(0);
  });

  const tightenings: [string, string, string][] = [
    ["public → authenticated", svc(rpc("A", `{ public: { reason: "x" } }`)), svc(rpc("A", `{ authenticated: {} }`))],
    ["scope added", svc(rpc("A", `{ authenticated: {} }`)), svc(rpc("A", `{ authenticated: { scopes: "a" } }`))],
    [
      "binding added",
      svc(rpc("A", `{ authenticated: {} }`)),
      svc(rpc("A", `{ authenticated: { bindings: { field: "sandbox_id" attribute: "sandbox_id" } } }`)),
    ],
    [
      "kind removed",
      svc(rpc("A", `{ authenticated: { principals: ["user", "sandbox"] } }`)),
      svc(rpc("A", `{ authenticated: { principals: "user" } }`)),
    ],
    ["anything → deny", svc(rpc("A", `{ public: { reason: "x" } }`)), svc(rpc("A", `{ deny: { reason: "x" } }`))],
  ];

  it.each(tightenings)("%s is reported, not failed", (_name, before, after) => {
    const run = cli("check", image(after), "--against", image(before));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^check\/v1\/api\.proto:\d+:\d+: tightens\/changes: \/check\.v1\.Api\/A: /m);
  });
});

describe("report", () => {
  it("writes the whole surface as Markdown and JSON, sorted by procedure", () => {
    const img = image(
      svc(
        [rpc("Zed", `{ deny: { reason: "retired" } }`), rpc("Alpha", `{ authenticated: { principals: "user" scopes: ["b", "a"] } }`)].join(
          "\n",
        ),
      ),
    );
    const markdown = cli("report", img).stdout;
    expect(markdown).toContain("| `/check.v1.Api/Alpha` | authenticated | `user` | `a`, `b` |");
    expect(markdown.indexOf("Alpha")).toBeLessThan(markdown.indexOf("Zed"));
    const json = JSON.parse(cli("report", img, "--format", "json").stdout);
    expect(json.map((r: { procedure: string }) => r.procedure)).toEqual(["/check.v1.Api/Alpha", "/check.v1.Api/Zed"]);
    expect(json[1]).toMatchObject({ access: "deny", reason: "retired", source: "method" });
  });
});

// Each case starts the CLI, which loads a TypeScript compiler and type-checks a project.
describe("check --project", { timeout: 120_000 }, () => {
  const project = (name: string) => runCli(repoRoot, "check", "--project", join(repoRoot, "test/fixtures/static", name, "tsconfig.json"));

  it("accepts projects whose servers are all guarded, aliased imports included", () => {
    expect(project("guarded")).toMatchObject({ code: 0 });
    expect(project("aliased")).toMatchObject({ code: 0 });
  });

  it("reports each unguarded server and uncovered service with file:line", () => {
    const unguarded = project("unguarded");
    expect(unguarded.code).toBe(1);
    expect(unguarded.stdout).toMatch(/unguarded\/server\.ts:16:\d+: connectNodeAdapter\(\) without the protoauthz guard/);
    expect(unguarded.stdout).toMatch(/unguarded\/server\.ts:17:\d+: connectNodeAdapter\(\) without the protoauthz guard/);
    expect(unguarded.stdout).toMatch(/unguarded\/server\.ts:18:\d+: new grpc\.Server\(\) without the protoauthz guard/);
    expect(unguarded.stdout).toMatch(/unguarded\/server\.ts:19:\d+: expressConnectMiddleware\(\) without the protoauthz guard/);
    expect(unguarded.stdout).toMatch(/unguarded\/server\.ts:20:\d+: fastifyConnectPlugin registered without the protoauthz guard/);
    const partial = project("partial");
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(
      /partial\/server\.ts:15:\d+: service\(\) registers sandboxgw\.v1\.HealthService, which no protoauthz table covers/,
    );
    expect(partial.stdout).toMatch(/partial\/server\.ts:19:\d+: connectNodeAdapter\(\) without the protoauthz guard/);
    expect(partial.stdout).toMatch(/partial\/server\.ts:21:\d+: addService\(\) with a definition not built by grpcServiceDefinition/);
    expect(partial.stdout).not.toMatch(/:18:/); // the guarded server
  });

  it("reports a Connect server that uses the guard without the raw header list, and accepts each way to hand it over", () => {
    const run = project("raw-headers");
    const findings = run.stdout.split("\n").filter((l) => l.startsWith("test/fixtures/static/raw-headers/"));
    const rawHeaders = "uses the protoauthz guard without the raw header list";
    expect(findings).toEqual([
      expect.stringMatching(new RegExp(`server\\.ts:18:\\d+: connectNodeAdapter\\(\\) ${rawHeaders}.*\\.\\.\\.guard\\.connectOptions`)),
      expect.stringMatching(new RegExp(`server\\.ts:19:\\d+: expressConnectMiddleware\\(\\) ${rawHeaders}`)),
      expect.stringMatching(new RegExp(`server\\.ts:20:\\d+: fastifyConnectPlugin registered ${rawHeaders}`)),
      expect.stringMatching(new RegExp(`server\\.ts:21:\\d+: connectNodeAdapter\\(\\) ${rawHeaders}`)),
      expect.stringMatching(/server\.ts:22:\d+: connectNodeAdapter\(\) without the protoauthz guard/),
    ]);
    expect(run.code).toBe(1);
  });

  it("follows interceptor arrays held in variables and honours a reviewed suppression comment", () => {
    const run = project("indirect");
    expect(run.stdout.split("\n").filter((l) => l.includes("without the protoauthz guard"))).toEqual([
      expect.stringMatching(
        /^test\/fixtures\/static\/indirect\/server\.ts:26:\d+: connectNodeAdapter\(\) without the protoauthz guard.*needs a reason/,
      ),
    ]);
    expect(run.code).toBe(1);
  });
});
