// A synthetic proto corpus: files × services × RPCs, with a realistic mix of
// rules (service defaults, public, deny, kinds, scopes, roles, bindings).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Services are named per file (F0Service0, F1Service0, …), as in real APIs.
 * `sharedServiceNames` names them Service0, Service1, … in every file: the
 * registry then imports a hundred tables of one name, which protoplugin
 * aliases in time quadratic in that count.
 */
export function writeCorpus(dir: string, files: number, rpcsPerFile: number, sharedServiceNames = false): void {
  for (let f = 0; f < files; f++) {
    const pkg = `corpus.f${f}.v1`;
    const lines = [`syntax = "proto3";`, ``, `package ${pkg};`, ``, `import "protoauthz/v1/authz.proto";`, ``];
    lines.push(`message Target {\n  string sandbox_id = 1;\n  string tenant = 2;\n}`);
    lines.push(`message Req {\n  string sandbox_id = 1;\n  Target target = 2;\n  int64 account = 3;\n  string text = 4;\n}`);
    lines.push(`message Res {\n  string text = 1;\n}`);
    const perService = 25;
    for (let s = 0; s * perService < rpcsPerFile; s++) {
      lines.push(`service ${sharedServiceNames ? "" : `F${f}`}Service${s} {`);
      lines.push(`  option (protoauthz.v1.default_rule) = { authenticated: { principals: "user" scopes: "read" } };`);
      for (let m = 0; m < perService && s * perService + m < rpcsPerFile; m++) {
        const kind = ["", "stream ", "", ""][m % 4] ?? "";
        const out = ["", "", "stream ", ""][m % 4] ?? "";
        lines.push(`  rpc Method${m}(${kind}Req) returns (${out}Res) {${rule(m)}}`);
      }
      lines.push(`}`);
    }
    mkdirSync(join(dir, "corpus", `f${f}`, "v1"), { recursive: true });
    writeFileSync(join(dir, "corpus", `f${f}`, "v1", `f${f}.proto`), `${lines.join("\n")}\n`);
  }
}

function rule(m: number): string {
  switch (m % 6) {
    case 0:
      return ""; // the service default
    case 1:
      return ` option (protoauthz.v1.rule) = { public: { reason: "probe" } }; `;
    case 2:
      return ` option (protoauthz.v1.rule) = { deny: { reason: "retired" } }; `;
    case 3:
      return ` option (protoauthz.v1.rule) = { authenticated: { principals: ["user", "service"] scopes: ["read", "write"] roles: ["admin", "member"] } }; `;
    case 4:
      return ` option (protoauthz.v1.rule) = { authenticated: { principals: "sandbox" bindings: { field: "sandbox_id" attribute: "sandbox_id" } } }; `;
    default:
      return ` option (protoauthz.v1.rule) = { authenticated: { principals: "sandbox" bindings: [{ field: "target.sandbox_id" attribute: "sandbox_id" }, { field: "account" attribute: "account" }] } }; `;
  }
}
