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

/**
 * The files of a buf image (`buf build -o image.binpb`; a FileDescriptorSet
 * works too), or of a directory of protos built with buf on PATH. Returns
 * only the files that are not imports: those are the ones to check.
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
  const bytes = stat.isDirectory() ? buildWithBuf(input) : readFileSync(input);
  let set: ReturnType<typeof fromBinary<typeof FileDescriptorSetSchema>>;
  try {
    set = fromBinary(FileDescriptorSetSchema, bytes);
  } catch (error) {
    throw new InputError(
      `${input}: not a binary buf image or FileDescriptorSet (${(error as Error).message}); build one with 'buf build -o image.binpb'`,
    );
  }
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: set.file }));
  const imports = new Set(set.file.filter(isImport).map((f) => f.name));
  const files: DescFile[] = [];
  for (const proto of set.file) {
    if (imports.has(proto.name)) continue;
    const file = registry.getFile(proto.name);
    if (file !== undefined) files.push(file);
  }
  return files;
}

function buildWithBuf(dir: string): Uint8Array {
  try {
    return execFileSync("buf", ["build", dir, "-o", "-#format=binpb"], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    if ((error as { code?: string }).code === "ENOENT") {
      throw new InputError(
        `${dir}: building protos needs buf on PATH (npm install @bufbuild/buf and run through an npm script), or pass an image from 'buf build -o image.binpb'`,
      );
    }
    throw new InputError(`${dir}: buf build failed:\n${stderr ?? (error as Error).message}`);
  }
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
