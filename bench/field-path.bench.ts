// The cost of binding paths: generated accessor size and plugin time through
// a recursive oneof, and path resolution up to and past the 64-field limit.
// Run: npm run build && npx tsx bench/field-path.bench.ts (prints a table).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, createFileRegistry, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { resolveFieldPath } from "protoauthz/tool";
import { runAuthz } from "../test/support/generate.js";
import { buildRequest } from "../test/support/request.js";
import { fmt, medianMs, nsPerOp } from "./lib.js";

const depths = [4, 8, 16, 32, 64];
const path = (depth: number) => ["root", ...Array<string>(depth - 3).fill("child"), "leaf", "sandbox_id"].join(".");

function requestFor(depth: number) {
  const dir = mkdtempSync(join(tmpdir(), "protoauthz-bench-path-"));
  try {
    mkdirSync(join(dir, "deep/v1"), { recursive: true });
    writeFileSync(
      join(dir, "deep/v1/deep.proto"),
      `syntax = "proto3";\npackage deep.v1;\nimport "protoauthz/v1/authz.proto";\n` +
        `service S { rpc M(Req) returns (Req) { option (protoauthz.v1.rule) = { authenticated: { bindings: {field: "${path(depth)}" attribute: "a"} } }; } }\n` +
        "message Leaf { string sandbox_id = 1; }\nmessage Node { oneof kind { Node child = 1; Leaf leaf = 2; } }\nmessage Req { Node root = 1; }\n",
    );
    return buildRequest(dir, "target=ts,registry=");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = ["| depth | table file (bytes) | plugin run (ms) | resolve (µs) |", "| ---: | ---: | ---: | ---: |"];
let Req: DescMessage | undefined;
for (const depth of depths) {
  const request = requestFor(depth);
  Req ??= createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile })).getMessage("deep.v1.Req");
  const bytes = runAuthz(request).files.get("deep/v1/deep_authz.ts")?.length ?? 0;
  const ms = await medianMs(() => runAuthz(request), 15);
  const message = Req as DescMessage;
  const us = nsPerOp(() => resolveFieldPath(message, path(depth)), 2_000, 15) / 1000;
  rows.push(`| ${depth} | ${bytes} | ${fmt(ms)} | ${fmt(us)} |`);
}
for (const segments of [1_000, 100_000]) {
  const long = ["root", ...Array<string>(segments - 1).fill("child")].join(".");
  const us = nsPerOp(() => resolveFieldPath(Req as DescMessage, long), 200, 15) / 1000;
  rows.push(`| ${segments} (refused) | – | – | ${fmt(us)} |`);
}
console.log(rows.join("\n"));
