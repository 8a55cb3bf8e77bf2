// Many inputs, few `buf build` runs: each run costs about as much to start as
// to compile a small input, so the golden cases compile together. Inputs that
// share no file path and no proto package become modules of one buf
// workspace beside one copy of the protoauthz schema; each input's request is
// then cut from the combined image and equals what buildRequest returns for
// it alone. Identical inputs compile once.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  type CodeGeneratorRequest,
  CodeGeneratorRequestSchema,
  type FileDescriptorProto,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { bufBin, protoFiles, repoRoot } from "./request.js";

const schemaFile = "protoauthz/v1/authz.proto";

interface Input {
  readonly dir: string;
  readonly files: readonly string[];
  readonly packages: ReadonlySet<string>;
  /** Ships its own copy of the schema, so it cannot share the common one. */
  readonly ownSchema: boolean;
}

/** What buf would send a plugin for one input, or why buf refused it. */
export type Compiled = { readonly fileToGenerate: string[]; readonly protoFile: FileDescriptorProto[] } | Error;

export function requestFrom(compiled: Compiled, parameter: string): CodeGeneratorRequest {
  if (compiled instanceof Error) throw compiled;
  return create(CodeGeneratorRequestSchema, { ...compiled, parameter });
}

/** Compiles every input directory with as few buf runs as their names allow. */
export function compileInputs(dirs: readonly string[]): Map<string, Compiled> {
  const byContent = new Map<string, Input>();
  const keyOf = new Map<string, string>();
  for (const dir of dirs) {
    const files = protoFiles(dir);
    const hash = createHash("sha256");
    for (const file of files) hash.update(`${file}\0${readFileSync(join(dir, file), "utf8")}\0`);
    const key = hash.digest("hex");
    keyOf.set(dir, key);
    if (!byContent.has(key)) byContent.set(key, readInput(dir, files));
  }
  const compiled = new Map<string, Compiled>();
  for (const batch of batches([...byContent.values()])) {
    for (const [input, result] of compileBatch(batch)) compiled.set(input.dir, result);
  }
  return new Map(dirs.map((dir) => [dir, compiled.get(byContent.get(keyOf.get(dir)!)!.dir)!]));
}

function readInput(dir: string, files: string[]): Input {
  const packages = new Set<string>();
  for (const file of files) {
    // A file without a package statement lives in the root namespace, named "" here.
    packages.add(/^\s*package\s+([\w.]+)\s*;/m.exec(readFileSync(join(dir, file), "utf8"))?.[1] ?? "");
  }
  return { dir, files, packages, ownSchema: files.includes(schemaFile) };
}

/** First fit: an input joins the first batch it shares no path and no package with. */
function batches(inputs: readonly Input[]): Input[][] {
  const shared: { members: Input[]; paths: Set<string>; packages: Set<string> }[] = [];
  const alone: Input[][] = [];
  for (const input of inputs) {
    if (input.ownSchema) {
      alone.push([input]);
      continue;
    }
    let batch = shared.find((b) => input.files.every((f) => !b.paths.has(f)) && [...input.packages].every((p) => !b.packages.has(p)));
    if (batch === undefined) shared.push((batch = { members: [], paths: new Set(), packages: new Set() }));
    batch.members.push(input);
    for (const f of input.files) batch.paths.add(f);
    for (const p of input.packages) batch.packages.add(p);
  }
  return [...shared.map((b) => b.members), ...alone];
}

function compileBatch(members: readonly Input[]): [Input, Compiled][] {
  const work = mkdtempSync(join(tmpdir(), "protoauthz-batch-"));
  try {
    const modules = members.map((input, i) => {
      cpSync(input.dir, join(work, `m${i}`), { recursive: true });
      return `m${i}`;
    });
    if (!members.some((m) => m.ownSchema)) {
      cpSync(join(repoRoot, "proto/protoauthz"), join(work, "schema/protoauthz"), { recursive: true });
      modules.push("schema");
    }
    writeFileSync(join(work, "buf.yaml"), `version: v2\nmodules:\n${modules.map((m) => `  - path: ${m}\n`).join("")}`);
    const image = join(work, "image.binpb");
    try {
      execFileSync(bufBin, ["build", work, "--as-file-descriptor-set", "-o", image], { stdio: "pipe" });
    } catch (error) {
      // Alone, each input gets its own error instead of sharing a neighbour's.
      if (members.length > 1) return members.flatMap((m) => compileBatch([m]));
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
      return [[members[0]!, new Error(`buf build ${members[0]!.dir} failed:\n${stderr}`, { cause: error })]];
    }
    const all = fromBinary(FileDescriptorSetSchema, readFileSync(image)).file;
    return members.map((input) => [input, cut(all, input)]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The input's own files, the schema and everything they import, ordered as
 * buf orders one module's image: from each file by path, imports first, in
 * the order they are written.
 */
function cut(all: readonly FileDescriptorProto[], input: Input): Compiled {
  const byName = new Map(all.map((f) => [f.name, f]));
  const protoFile: FileDescriptorProto[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const file = byName.get(name);
    if (seen.has(name) || file === undefined) return;
    seen.add(name);
    for (const dep of file.dependency) visit(dep);
    protoFile.push(file);
  };
  const roots = input.ownSchema ? input.files : [...input.files, schemaFile];
  for (const name of [...roots].sort()) visit(name);
  const own = new Set(input.files);
  const fileToGenerate = protoFile.map((f) => f.name).filter((name) => own.has(name) && !name.startsWith("protoauthz/"));
  return { fileToGenerate, protoFile };
}
