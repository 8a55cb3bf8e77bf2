// Runs one plugin once on a serialized CodeGeneratorRequest, in a fresh
// process, and prints its wall time and peak RSS. Used for memory numbers.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import { protocGenAuthz } from "protoc-gen-authz";

const [which, file] = process.argv.slice(2);
const plugins = {
  authz: protocGenAuthz,
  noop: createEcmaScriptPlugin({ name: "noop", version: "v0", generateTs() {} }),
  es: createRequire(import.meta.url)("@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js").protocGenEs,
};
const request = fromBinary(CodeGeneratorRequestSchema, readFileSync(file));
const start = performance.now();
const response = plugins[which].run(request);
const ms = performance.now() - start;
if (response.error) throw new Error(response.error);
console.log(JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, files: response.file.length }));
