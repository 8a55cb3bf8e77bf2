// A recursive oneof and one RPC per depth binding its leaf at that depth: the
// input of the field-path tests (generated accessors, path resolution, and a
// guard built from the generated 64-deep accessor).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, createFileRegistry, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { runAuthz, runEs } from "./generate.js";
import { buildRequest } from "./request.js";

export const depths = [4, 8, 16, 32, 64] as const;

/** root.child…child.leaf.sandbox_id: `depth` fields, every step but the last through a oneof. */
export function deepPath(depth: number): string {
  return ["root", ...Array<string>(depth - 3).fill("child"), "leaf", "sandbox_id"].join(".");
}

const proto = `syntax = "proto3";
package deep.v1;
import "protoauthz/v1/authz.proto";
service DeepService {
${depths
  .map(
    (d) =>
      `  rpc D${d}(Req) returns (Req) { option (protoauthz.v1.rule) = { authenticated: { bindings: {field: "${deepPath(d)}" attribute: "sandbox_id"} } }; }`,
  )
  .join("\n")}
}
message Leaf { string sandbox_id = 1; }
message Node { oneof kind { Node child = 1; Leaf leaf = 2; } }
message Req { Node root = 1; }
`;

export interface DeepPathInput {
  /** protoc-gen-es and protoc-gen-authz output, by file name. */
  readonly generated: Map<string, string>;
  readonly Req: DescMessage;
  readonly DeepService: DescService;
}

/** Compiles the proto with buf and generates its code, as `buf generate` would. */
export function compileDeepPath(): DeepPathInput {
  const input = mkdtempSync(join(tmpdir(), "protoauthz-deep-"));
  try {
    mkdirSync(join(input, "deep/v1"), { recursive: true });
    writeFileSync(join(input, "deep/v1/deep.proto"), proto);
    const request = buildRequest(input, "target=ts,import_extension=js");
    const authz = runAuthz(request);
    if (authz.error !== undefined) throw new Error(`deep.proto does not generate: ${authz.error}`);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    return {
      generated: new Map([...runEs(request), ...authz.files]),
      Req: registry.getMessage("deep.v1.Req") as DescMessage,
      DeepService: registry.getService("deep.v1.DeepService") as DescService,
    };
  } finally {
    rmSync(input, { recursive: true, force: true });
  }
}
