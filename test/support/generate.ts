import type { CodeGeneratorRequest } from "@bufbuild/protobuf/wkt";
// protoc-gen-es publishes only its CommonJS build and no exports map.
import { protocGenEs } from "@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js";
import { protocGenAuthz } from "protoc-gen-authz";
import { buildRequest } from "./request.js";

export interface Generated {
  /** Output files by name; empty when generation failed. */
  readonly files: ReadonlyMap<string, string>;
  /** The response's error text, if generation failed. */
  readonly error: string | undefined;
}

export function runAuthz(request: CodeGeneratorRequest): Generated {
  const response = protocGenAuthz.run(request);
  return {
    files: new Map(response.file.map((f) => [f.name, f.content])),
    error: response.error === "" ? undefined : response.error,
  };
}

/** protoc-gen-es output for the same request, for type-checking against. */
export function runEs(request: CodeGeneratorRequest): ReadonlyMap<string, string> {
  const response = protocGenEs.run({
    ...request,
    parameter: "target=ts,import_extension=js,rewrite_imports=./protoauthz/**/*_pb.js:protoauthz",
  } as CodeGeneratorRequest);
  return new Map(response.file.map((f) => [f.name, f.content]));
}

export function generateDir(inputDir: string, parameter: string): Generated & { request: CodeGeneratorRequest } {
  const request = buildRequest(inputDir, parameter);
  return { ...runAuthz(request), request };
}
