// What `check` and `report` print, through the binary: untrusted text stays
// inside its field in every format, a report of unreadable rules fails as
// check does, and a migration-mode image never reads as a bare "ok".
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, protoDir, rpc, runCli, scratch, svc } from "../support/check-cli.js";

const work = scratch("output");
afterAll(() => rmSync(work, { recursive: true, force: true }));
let images = 0;

function image(body: string): string {
  const dir = protoDir(join(work, `img-${++images}`), body);
  return buildImage(dir, join(dir, "image.binpb"));
}
const cli = (...args: string[]) => runCli(work, ...args);

/** The strings of issue 17: a CI command on its own line, a terminal line rewritten, HTML and a link. */
const command = "\n::error file=api.proto,line=1::pwned";
const rewrite = "\rprotoauthz check: ok";
const html = `<img src=x onerror=alert(1)> <script>alert(1)</script> <!-- [x](javascript:alert(1))`;

describe("untrusted text in check output", () => {
  const before = image(svc(rpc("A", `{ authenticated: { roles: "admin" } }`)));
  const role = `x${command}${rewrite}`;
  const after = image(svc(rpc("A", `{ authenticated: { roles: ["admin", ${JSON.stringify(role)}] } }`)));

  it("text: a role cannot start a line, a workflow command, or rewrite a line", () => {
    const { code, stdout } = cli("check", after, "--against", before);
    expect(code).toBe(1);
    expect(stdout).not.toContain("\r");
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/^::/);
    expect(lines[0]).toBe(
      String.raw`check/v1/api.proto:6:37: LOOSENS: /check.v1.Api/A: roles added: "x\u000a::error file=api.proto,line=1::pwned\u000dprotoauthz check: ok" (review it, then pass --allow-loosening check.v1.Api.A)`,
    );
  });

  it("github: only the annotations we emit start a line", () => {
    const lines = cli("check", after, "--against", before, "--format", "github").stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^::error file=check\/v1\/api\.proto,line=6,col=37,title=protoauthz%3A access loosened::\/check\.v1\.Api\/A: /,
    );
    expect(lines[0]).not.toContain("\r");
  });

  it("json: the exact role, and no raw control character", () => {
    const { stdout } = cli("check", after, "--against", before, "--format", "json");
    expect(stdout).not.toMatch(/\r/);
    expect(JSON.parse(stdout).loosening[0].what).toBe(`roles added: "${role}"`);
  });
});

describe("untrusted text in the report", () => {
  const reason = `${html}${command}`;
  const img = image(svc(rpc("Open", `{ public: { reason: ${JSON.stringify(reason)} } }`)));

  it("markdown: a reason is a code span, never HTML or a link", () => {
    const { code, stdout } = cli("report", img);
    expect(code).toBe(0);
    const row = stdout.split("\n").find((l) => l.startsWith("| `/check.v1.Api/Open`"));
    expect(row).toBe(
      `| \`/check.v1.Api/Open\` | **public** |  |  |  |  |  | \`${html}\\u000a::error file=api.proto,line=1::pwned\` | method |`,
    );
    expect(stdout.split("\n").filter((l) => l.startsWith("::"))).toEqual([]);
  });

  it("json: the exact reason", () => {
    const { stdout } = cli("report", img, "--format", "json");
    expect(JSON.parse(stdout)[0].reason).toBe(reason);
  });
});

describe("a report of unreadable rules", () => {
  // buf refuses invalid UTF-8 in a .proto, so the rule's bytes are broken in the image itself.
  const broken = image(svc(rpc("Bad", `{ public: { reason: "QQQQ" } }`)));
  const bytes = readFileSync(broken);
  const at = bytes.indexOf("QQQQ");
  expect(bytes.indexOf("QQQQ", at + 1)).toBe(-1);
  bytes.set([0x63, 0x61, 0x66, 0xe9], at);
  writeFileSync(broken, bytes);
  const problem = /^check\/v1\/api\.proto:6:\d+: check\.v1\.Api\.Bad: the rule option's bytes do not decode \(.*\)$/m;

  it("fails as check does: the same message, exit code 1, and no surface", () => {
    const checked = cli("check", broken);
    expect(checked.code).toBe(1);
    const line = checked.stdout.match(problem)?.[0];
    expect(line).toBeDefined();
    for (const format of ["markdown", "json"]) {
      const report = cli("report", broken, "--format", format);
      expect(report.code).toBe(1);
      expect(report.stdout).toBe("");
      expect(report.stderr.split("\n")).toContain(line);
      expect(report.stderr).toContain("no report written");
    }
  });
});

describe("check under undeclared=audit", () => {
  const dir = join(work, "audit");
  const img = buildImage(protoDir(dir, svc([rpc("A", `{ deny: { reason: "retired" } }`), rpc("B")].join("\n"))), join(dir, "image.binpb"));
  writeFileSync(
    join(dir, "buf.gen.yaml"),
    "version: v2\nplugins:\n  - local: protoc-gen-authz\n    out: gen\n    opt: target=ts,undeclared=audit\n",
  );
  const inAudit = (...args: string[]) => runCli(dir, "check", img, ...args);

  it("text names every audit RPC with its place, and the summary is never a bare ok", () => {
    const { code, stdout } = inAudit();
    expect(code).toBe(0);
    expect(stdout).toContain("check/v1/api.proto:7:3: audit: /check.v1.Api/B: NOT protected: declares no rule");
    expect(stdout).not.toContain("/check.v1.Api/A");
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("protoauthz check: ok, but 1 RPC(s) NOT protected (audit, listed above)");
  });

  it("github: a warning at the RPC", () => {
    expect(inAudit("--format", "github").stdout).toMatch(
      /^::warning file=check\/v1\/api\.proto,line=7,col=3,title=protoauthz%3A NOT protected \(audit\)::\/check\.v1\.Api\/B: NOT protected/m,
    );
  });

  it("json: every audit RPC, located", () => {
    const json = JSON.parse(inAudit("--format", "json").stdout);
    expect(json.ok).toBe(true);
    expect(json.audit).toEqual([
      { procedure: "/check.v1.Api/B", location: "check/v1/api.proto:7:3", file: "check/v1/api.proto", line: 7, column: 3 },
    ]);
  });

  it("report: the words about RPCs without a rule follow the mode", () => {
    const audit = runCli(dir, "report", img).stdout;
    expect(audit).toContain("**1 of 2 RPCs declare no rule** and are NOT protected until they do: anyone may call them");
    expect(audit).not.toContain("undeclared=deny");
    // Without buf.gen.yaml the plugin's default applies: generation fails on them.
    const strict = cli("report", img).stdout;
    expect(strict).toContain("**1 of 2 RPCs declare no rule** and fail generation until they do (undeclared=error)");
    expect(strict).not.toContain("undeclared=deny");
  });
});
