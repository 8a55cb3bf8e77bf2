import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { create, createFileRegistry, type DescFile, fromBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/** buf's ImageFile extension of FileDescriptorProto (buf.alpha.image.v1). */
const imageFileExtension = 8042;

/** An input that failed to load, with a message that says what to do. */
export class InputError extends Error {
  override name = "InputError";
}

const buildHint = "build one with 'buf build -o image.binpb'";

/**
 * The files of a buf image (`buf build -o image.binpb`; a FileDescriptorSet
 * works too), or of a directory of protos built with buf on PATH. Returns
 * only the files that are not imports: those are the ones to check. Refuses
 * anything that is not a regular file or a directory (a pipe or device would
 * block or read forever), an empty image, and an image without its imports.
 */
export function loadInput(input: string): DescFile[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(input);
  } catch {
    throw new InputError(
      `${input}: no such file or directory (pass a buf image, e.g. from 'buf build -o image.binpb', or a directory of protos)`,
    );
  }
  if (!stat.isFile() && !stat.isDirectory()) {
    throw new InputError(
      `${input}: not a regular file or directory (pipes and devices are refused; write the image to a file: ${buildHint})`,
    );
  }
  return loadImage(stat.isDirectory() ? buildWithBuf(input) : readFileSync(input), input);
}

/** The files to check of an image's bytes; `input` names it in errors. */
export function loadImage(bytes: Uint8Array, input: string): DescFile[] {
  if (bytes.length === 0) throw new InputError(`${input}: the image is empty (0 bytes); ${buildHint}`);
  let set: ReturnType<typeof fromBinary<typeof FileDescriptorSetSchema>>;
  try {
    set = fromBinary(FileDescriptorSetSchema, bytes);
  } catch (error) {
    throw new InputError(`${input}: not a binary buf image or FileDescriptorSet (${(error as Error).message}); ${buildHint}`);
  }
  const present = new Set(set.file.map((f) => f.name));
  const missing = [...new Set(set.file.flatMap((f) => f.dependency).filter((d) => !present.has(d)))];
  if (missing.length > 0) {
    throw new InputError(
      `${input}: the image lacks imported files (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}); build it with its imports ('buf build -o image.binpb' without --exclude-imports, or protoc --include_imports -o)`,
    );
  }
  let registry: ReturnType<typeof createFileRegistry>;
  try {
    registry = createFileRegistry(create(FileDescriptorSetSchema, { file: set.file }));
  } catch (error) {
    throw new InputError(`${input}: the image's descriptors are inconsistent (${(error as Error).message}); ${buildHint}`);
  }
  const imports = new Set(set.file.filter(isImport).map((f) => f.name));
  const files: DescFile[] = [];
  for (const proto of set.file) {
    if (imports.has(proto.name)) continue;
    const file = registry.getFile(proto.name);
    if (file !== undefined) files.push(file);
  }
  if (files.length === 0) throw new InputError(`${input}: the image holds no proto files to check; ${buildHint} from your protos`);
  return files;
}

function buildWithBuf(dir: string): Uint8Array {
  try {
    return execFileSync("buf", ["build", dir, "-o", "-#format=binpb"], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message;
    if ((error as { code?: string }).code === "ENOENT") {
      throw new InputError(
        `${dir}: building protos needs buf on PATH (npm install @bufbuild/buf and run through an npm script), or pass an image from 'buf build -o image.binpb'`,
      );
    }
    throw new InputError(`${dir}: buf build failed: ${explainBufFailure(stderr)}`);
  }
}

/**
 * buf's message, plus the fix for the failure a default layout meets: the
 * shipped schema reached twice (a root buf.yaml whose module also sees
 * node_modules/protoauthz/proto and node_modules/protoc-gen-authz/proto).
 */
export function explainBufFailure(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const oneLine = [...lines.slice(0, 3), ...(lines.length > 3 ? [`… ${lines.length - 3} more`] : [])].join("; ");
  if (!/declared multiple times|contained in multiple modules/i.test(stderr)) return oneLine;
  return `${oneLine} (the schema protoauthz/v1/authz.proto is reachable twice, usually because a module at the repository root also sees node_modules: list your protos as their own module, or add "excludes: [node_modules]" to the root module in buf.yaml, and reach the schema through exactly one of node_modules/protoauthz/proto or node_modules/protoc-gen-authz/proto)`;
}

/** Whether buf marked this file of an image as an import. */
function isImport(file: FileDescriptorProto): boolean {
  for (const field of file.$unknown ?? []) {
    if (field.no !== imageFileExtension) continue;
    const reader = new BinaryReader(new BinaryReader(field.data).bytes());
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      if (no === 1) return reader.bool();
      reader.skip(wireType);
    }
  }
  return false;
}
