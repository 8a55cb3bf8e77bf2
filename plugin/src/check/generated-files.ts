import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, createFileRegistry, type DescFile, fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { GenerationConfig } from "./buf-gen.js";
import { explainBufFailure, InputError } from "./image.js";

/**
 * A stand-in plugin that answers with the request buf sent it (base64, in
 * one file): what protoc-gen-authz would receive, after buf's own type
 * filter and include_imports. Encodes the CodeGeneratorResponse by hand so
 * that it needs nothing installed.
 */
const capturePlugin = `
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const varint = (n) => { const b = []; while (n > 127) { b.push((n & 127) | 128); n = Math.floor(n / 128); } b.push(n); return b; };
const field = (tag, bytes) => [...varint(tag), ...varint(bytes.length), ...bytes];
const text = (s) => [...Buffer.from(s, "utf8")];
const file = [...field(10, text("request.b64")), ...field(122, text(Buffer.concat(chunks).toString("base64")))];
// supported_features: proto3 optional | editions; editions proto2 (998) to 2024 (1001), as protoplugin declares.
const response = [16, 3, 24, ...varint(998), 32, ...varint(1001), ...field(122, file)];
process.stdout.write(Buffer.from(response));
`;

/**
 * The files protoc-gen-authz generates from `input` (an image file or a
 * directory of protos) under this configuration, as buf itself hands them
 * over: buf generate runs with the entry's types, exclude_types,
 * include_imports and include_wkt, and a stand-in plugin records the request.
 * Nothing of buf's filter is re-implemented, so nothing can drift from it.
 */
export function generatedFiles(input: string, config: GenerationConfig, label: string, cwd: string = process.cwd()): DescFile[] {
  const work = mkdtempSync(join(tmpdir(), "protoauthz-generate-"));
  try {
    writeFileSync(join(work, "capture.mjs"), capturePlugin);
    const entry = {
      local: [process.execPath, join(work, "capture.mjs")],
      out: join(work, "out"),
      strategy: "all",
      ...(config.filter.types.length > 0 && { types: config.filter.types }),
      ...(config.filter.excludeTypes.length > 0 && { exclude_types: config.filter.excludeTypes }),
      ...(config.filter.includeImports && { include_imports: true }),
      ...(config.filter.includeWkt && { include_wkt: true }),
    };
    writeFileSync(join(work, "buf.gen.yaml"), JSON.stringify({ version: "v2", plugins: [entry] }));
    try {
      execFileSync("buf", ["generate", input, "--template", join(work, "buf.gen.yaml")], {
        cwd,
        maxBuffer: 1 << 30,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT")
        throw new InputError(
          `${config.file}:${config.line}: applying its type filters needs buf on PATH (run through npx or an npm script)`,
        );
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message;
      throw new InputError(
        `${config.file}:${config.lineOf(config.filter.excludeTypes.length > 0 ? "exclude_types" : "types")}: buf generate refuses this protoc-gen-authz entry for ${label}: ${explainBufFailure(stderr.replaceAll(work, "<tmp>"))} (fix the entry's types/exclude_types: buf generate fails the same way)`,
      );
    }
    let request: ReturnType<typeof fromBinary<typeof CodeGeneratorRequestSchema>>;
    try {
      const encoded = readFileSync(join(work, "out", "request.b64"), "utf8");
      request = fromBinary(CodeGeneratorRequestSchema, Buffer.from(encoded, "base64"));
    } catch {
      // buf runs no plugin when the filter leaves no file to generate.
      return [];
    }
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    return request.fileToGenerate.flatMap((name) => registry.getFile(name) ?? []);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
