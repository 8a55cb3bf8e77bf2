// A synthetic proto corpus: files × services × RPCs, with a realistic mix of
// rules (service defaults, public, deny, kinds, scopes, roles, bindings).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CorpusOptions {
  /**
   * Services are named per file (F0Service0, F1Service0, …), as in real APIs.
   * This names them Service0, Service1, … in every file: the registry then
   * imports a hundred tables of one name, which protoplugin aliases in time
   * quadratic in that count.
   */
  readonly sharedServiceNames?: boolean;
  /**
   * Every RPC authenticated with one CEL condition ("with"), or the same
   * rules without their conditions ("without"); unset, the usual mix.
   */
  readonly conditions?: "with" | "without";
}

export function writeCorpus(dir: string, files: number, rpcsPerFile: number, options: CorpusOptions = {}): void {
  const { sharedServiceNames = false, conditions } = options;
  const ruleOf = conditions === undefined ? rule : (m: number) => conditionRule(m, conditions === "with");
  for (let f = 0; f < files; f++) {
    const pkg = `corpus.f${f}.v1`;
    const lines = [`syntax = "proto3";`, ``, `package ${pkg};`, ``, `import "protoauthz/v1/authz.proto";`, ``];
    lines.push(`message Target {\n  string sandbox_id = 1;\n  string tenant = 2;\n}`);
    lines.push(`message Req {\n  string sandbox_id = 1;\n  Target target = 2;\n  int64 account = 3;\n  string text = 4;\n}`);
    lines.push(`message Res {\n  string text = 1;\n}`);
    const perService = 25;
    for (let s = 0; s * perService < rpcsPerFile; s++) {
      lines.push(`service ${sharedServiceNames ? "" : `F${f}`}Service${s} {`);
      lines.push(`  option (protoauthz.v1.default_rule) = ${ruleOf(-1) || defaultRule};`);
      for (let m = 0; m < perService && s * perService + m < rpcsPerFile; m++) {
        const kind = ["", "stream ", "", ""][m % 4] ?? "";
        const out = ["", "", "stream ", ""][m % 4] ?? "";
        lines.push(
          `  rpc Method${m}(${kind}Req) returns (${out}Res) {${m % 6 === 0 ? "" : ` option (protoauthz.v1.rule) = ${ruleOf(m)}; `}}`,
        );
      }
      lines.push(`}`);
    }
    mkdirSync(join(dir, "corpus", `f${f}`, "v1"), { recursive: true });
    writeFileSync(join(dir, "corpus", `f${f}`, "v1", `f${f}.proto`), `${lines.join("\n")}\n`);
  }
}

const defaultRule = `{ authenticated: { principals: "user" scopes: "read" } }`;

/** The usual mix: a sixth each inherit the default, are public, denied, need roles, one binding, two. */
function rule(m: number): string {
  switch (m % 6) {
    case -1:
    case 0:
      return ""; // the service default
    case 1:
      return `{ public: { reason: "probe" } }`;
    case 2:
      return `{ deny: { reason: "retired" } }`;
    case 3:
      return `{ authenticated: { principals: ["user", "service"] scopes: ["read", "write"] roles: ["admin", "member"] } }`;
    case 4:
      return `{ authenticated: { principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" } } }`;
    default:
      return `{ authenticated: { principals: "sandbox" bindings: [{ field: "target.sandbox_id" attribute: "sandbox_id" }, { field: "account" attribute: "account" }] } }`;
  }
}

/**
 * Every RPC authenticated, each with one condition users write (limits that
 * differ per RPC, a tenant match, a prefix, a role-dependent limit); m = -1
 * is the service default.
 */
function conditionRule(m: number, withCondition: boolean): string {
  const requirements = [
    `principals: "user" scopes: "read"`,
    `principals: "user"`,
    `principals: "service"`,
    `principals: ["user", "service"] roles: ["admin", "member"]`,
    `principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" }`,
    `principals: "sandbox" bindings: { field: "account" attribute: "account" }`,
  ][m < 0 ? 0 : m % 6];
  const condition = [
    "request.account <= 1000",
    `request.text.size() <= ${m * 10}`,
    "request.target.tenant == principal.attributes['tenant']",
    `'admin' in principal.roles || request.account <= ${m}`,
    "request.sandbox_id.startsWith('sb-')",
    `request.account > ${m}`,
  ][m < 0 ? 0 : m % 6];
  return `{ authenticated: { ${requirements}${withCondition ? ` conditions: "${condition}"` : ""} } }`;
}
