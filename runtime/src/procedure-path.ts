import type { DescMethod } from "@bufbuild/protobuf";

/** "/pkg.Service/Method": the gRPC path, computed from the descriptor. */
export function procedurePath(method: DescMethod): string {
  let procedure = procedures.get(method);
  if (procedure === undefined) procedures.set(method, (procedure = `/${method.parent.typeName}/${method.name}`));
  return procedure;
}

/** Adapters ask on every call: the string is built once per method. */
const procedures = new WeakMap<DescMethod, string>();
