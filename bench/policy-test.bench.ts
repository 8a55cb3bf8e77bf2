// `protoc-gen-authz test`: 1,000 cases over a 100-RPC image, the whole CLI
// process (start-up, image, test file, guard, cases, output), without and
// with relations on the embedded SpiceDB. Targets: < 2 s and < 5 s.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { bufBin, repoRoot } from "../test/support/request.js";
import { fmt, median, writeSection } from "./lib.js";

const work = join(import.meta.dirname, ".work", "policy-test");
const bin = join(repoRoot, "plugin/bin/protoc-gen-authz");
const runs = Number(process.env.BENCH_RUNS ?? 7);
const rpcCount = 100;
const casesWanted = 1000;

/** Reports the child's own CPU time (user + system) on exit, on stderr. */
const cpuHook = `data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write("cpu-ms="+((u.userCPUTime+u.systemCPUTime)/1000))})`;

function rule(m: number, relations: boolean): string {
  if (relations && m % 3 === 0) {
    return `{ authenticated: { principals: "user" relations: { resource_type: "doc" id_field: "text" permission: "view" } } }`;
  }
  switch (m % 5) {
    case 0:
      return `{ public: { reason: "probe" } }`;
    case 1:
      return `{ deny: { reason: "retired" } }`;
    case 2:
      return `{ authenticated: { principals: ["user", "service"] scopes: "read" roles: ["admin", "member"] } }`;
    case 3:
      return `{ authenticated: { principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" } } }`;
    default:
      return `{ any_of: { alternatives: [{ roles: "admin" }, { principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" } }] } }`;
  }
}

/** An image of 100 RPCs in 4 services, and a test file of 1,000 cases over them. */
function setUp(dir: string, relations: boolean): { image: string; tests: string } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "bench/v1"), { recursive: true });
  cpSync(join(repoRoot, "proto/protoauthz"), join(dir, "protoauthz"), { recursive: true });
  const lines = [`syntax = "proto3";`, `package bench.v1;`, `import "protoauthz/v1/authz.proto";`];
  lines.push(`message Req { string sandbox_id = 1; string text = 2; }`);
  for (let s = 0; s < rpcCount / 25; s++) {
    lines.push(`service Service${s} {`);
    for (let m = 0; m < 25; m++) lines.push(`  rpc M${m}(Req) returns (Req) { option (protoauthz.v1.rule) = ${rule(m, relations)}; }`);
    lines.push("}");
  }
  writeFileSync(join(dir, "bench/v1/api.proto"), `${lines.join("\n")}\n`);
  const image = join(dir, "image.binpb");
  const build = spawnSync(bufBin, ["build", dir, "-o", image], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(build.stderr);

  const principals = ["reader", "admin", "sb1", "sb2", "anonymous"];
  const yaml = [
    "principals:",
    "  reader: { kind: user, subject: u-1, scopes: [read], roles: [member] }",
    "  admin: { kind: user, subject: u-2, scopes: [read], roles: [admin] }",
    "  sb1: { kind: sandbox, subject: sb-1, attributes: { sandbox_id: sb-1 } }",
    "  sb2: { kind: sandbox, subject: sb-2, attributes: { sandbox_id: sb-2 } }",
  ];
  if (relations) {
    yaml.push("schema: schema.zed", "relationships: |");
    for (let d = 0; d < 50; d++) yaml.push(`  doc:d-${d}#viewer@user:u-${1 + (d % 2)}`);
    writeFileSync(
      join(dir, "schema.zed"),
      "definition user {}\ndefinition service {}\ndefinition sandbox {}\ndefinition doc {\n    relation viewer: user\n    permission view = viewer\n}\n",
    );
  }
  yaml.push("tests:");
  for (let t = 0; t < casesWanted / principals.length; t++) {
    const rpc = t % rpcCount;
    yaml.push(`  - rpc: bench.v1.Service${Math.floor(rpc / 25)}/M${rpc % 25}`);
    yaml.push(`    request: { sandboxId: sb-${1 + (t % 2)}, text: d-${t % 60} }`);
    yaml.push(`    expect: { ${principals.map((p) => `${p}: ALLOW`).join(", ")} }`);
  }
  const tests = join(dir, "bench.authz-test.yaml");
  writeFileSync(tests, `${yaml.join("\n")}\n`);
  // The expectations become what the guard decides, so that every run passes (exit 0).
  const first = cli(image, tests, "--format", "json");
  const report = JSON.parse(first.stdout) as { failures: { line: number; principal: string; actual: string }[] };
  const text = `${yaml.join("\n")}\n`.split("\n");
  for (const f of report.failures)
    text[f.line - 1] = (text[f.line - 1] ?? "").replace(`${f.principal}: ALLOW`, `${f.principal}: ${f.actual}`);
  writeFileSync(tests, text.join("\n"));
  return { image, tests };
}

function cli(...args: string[]) {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["--import", cpuHook, bin, "test", ...args], { cwd: work, encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuMs = Number(/cpu-ms=([\d.]+)/.exec(run.stderr)?.[1] ?? Number.NaN);
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, wallMs, cpuMs };
}

function measure(relations: boolean) {
  const { image, tests } = setUp(join(work, relations ? "relations" : "static"), relations);
  const walls: number[] = [];
  const cpus: number[] = [];
  let summary = "";
  for (let i = 0; i < runs; i++) {
    const run = cli(image, tests);
    if (run.code !== 0) throw new Error(`protoc-gen-authz test exited ${run.code}: ${run.stdout}${run.stderr}`);
    summary = run.stdout.trim().split("\n").at(-1) ?? "";
    walls.push(run.wallMs);
    cpus.push(run.cpuMs);
  }
  return { wall: median(walls) / 1000, cpu: median(cpus) / 1000, summary };
}

mkdirSync(work, { recursive: true });
const without = measure(false);
const withRelations = measure(true);
const verdict = (seconds: number, target: number) => (seconds < target ? "met" : "NOT met");
const body = `## Policy tests (\`npm run bench:policy-test\`)

The whole \`protoc-gen-authz test\` process (Node start-up, image, test file, guard, every case, output) over a ${rpcCount}-RPC image, median of ${runs} runs; CPU is the process's own user + system time, which a loaded machine does not inflate.

| cases | relations | wall | CPU | target | |
|---|---|---|---|---|---|
| ${casesWanted} | none | ${fmt(without.wall)} s | ${fmt(without.cpu)} s | < 2 s | ${verdict(without.wall, 2)} |
| ${casesWanted} | embedded SpiceDB (1 in 3 RPCs asks one) | ${fmt(withRelations.wall)} s | ${fmt(withRelations.cpu)} s | < 5 s | ${verdict(withRelations.wall, 5)} |

Last run: \`${without.summary}\`; \`${withRelations.summary}\`. Load average during the run: ${fmt(loadavg()[0] ?? 0, 1)} (on ${availableParallelism()} cores).`;
writeSection("policy-test", body);
console.log(body);
if (process.env.BENCH_KEEP === undefined) rmSync(work, { recursive: true, force: true });
