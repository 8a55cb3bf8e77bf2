// Runs one plugin once on a serialized CodeGeneratorRequest, in a fresh
// process, as buf runs a plugin: loading its modules, decoding the request,
// generating. Prints each part's wall time and the peak RSS.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [which, file] = process.argv.slice(2);
const start = performance.now();
const { fromBinary } = await import("@bufbuild/protobuf");
const { CodeGeneratorRequestSchema } = await import("@bufbuild/protobuf/wkt");
const { createEcmaScriptPlugin } = await import("@bufbuild/protoplugin");
const load = {
  authz: async () => (await import("protoc-gen-authz")).protocGenAuthz,
  noop: async () => createEcmaScriptPlugin({ name: "noop", version: "v0", generateTs() {} }),
  es: async () => createRequire(import.meta.url)("@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js").protocGenEs,
};
const plugin = await load[which]();
const loaded = performance.now();
const request = fromBinary(CodeGeneratorRequestSchema, readFileSync(file));
const decoded = performance.now();
const response = plugin.run(request);
const done = performance.now();
if (response.error) throw new Error(response.error);
console.log(
  JSON.stringify({
    loadMs: loaded - start,
    decodeMs: decoded - loaded,
    runMs: done - decoded,
    totalMs: done - start,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    files: response.file.length,
  }),
);
