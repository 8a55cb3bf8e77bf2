import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import { type CodeGeneratorRequest, CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const bufBin = join(repoRoot, "node_modules/.bin/buf");
const schemaDir = join(repoRoot, "proto");

/** Every .proto below dir, as paths relative to it, sorted. */
export function protoFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".proto")) found.push(relative(dir, path));
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * Compiles the protos in `inputDir` with buf, as a module next to the
 * protoauthz schema (unless the input ships its own copy), and returns the
 * CodeGeneratorRequest buf would send a plugin with `strategy: all`.
 */
export function buildRequest(inputDir: string, parameter: string): CodeGeneratorRequest {
  const work = mkdtempSync(join(tmpdir(), "protoauthz-req-"));
  try {
    cpSync(inputDir, join(work, "in"), { recursive: true });
    if (!existsSync(join(work, "in/protoauthz/v1/authz.proto"))) {
      cpSync(join(schemaDir, "protoauthz"), join(work, "in/protoauthz"), { recursive: true });
    }
    const image = join(work, "image.binpb");
    execFileSync(bufBin, ["build", join(work, "in"), "--as-file-descriptor-set", "-o", image], { stdio: "pipe" });
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(image));
    const own = new Set(protoFiles(inputDir));
    return create(CodeGeneratorRequestSchema, {
      fileToGenerate: set.file.map((f) => f.name).filter((name) => own.has(name) && !name.startsWith("protoauthz/")),
      parameter,
      protoFile: set.file,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
