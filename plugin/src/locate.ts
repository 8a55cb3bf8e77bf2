import type { DescFile, DescMethod, DescService } from "@bufbuild/protobuf";

/** Field numbers in descriptor.proto that make up source-code-info paths. */
const serviceInFile = 6;
const methodInService = 2;
const optionsOfService = 3;
const optionsOfMethod = 4;
export const ruleExtensionNumber = 51720;

const cache = new WeakMap<DescFile, Map<string, readonly number[]>>();

function spans(file: DescFile): Map<string, readonly number[]> {
  let map = cache.get(file);
  if (map === undefined) {
    map = new Map();
    for (const location of file.proto.sourceCodeInfo?.location ?? []) {
      const key = location.path.join(",");
      if (!map.has(key)) map.set(key, location.span);
    }
    cache.set(file, map);
  }
  return map;
}

/** "file.proto:LINE:COL" of the first path that has a span (1-based). */
function at(file: DescFile, ...paths: number[][]): string {
  for (const path of paths) {
    const span = spans(file).get(path.join(","));
    if (span !== undefined && span.length >= 2) return `${file.proto.name}:${span[0] + 1}:${span[1] + 1}`;
  }
  return file.proto.name;
}

function servicePath(service: DescService): number[] {
  return [serviceInFile, service.file.services.indexOf(service)];
}

/** Where a method's rule option is written, or the method when it has none. */
export function locateMethod(method: DescMethod): string {
  const rpc = [...servicePath(method.parent), methodInService, method.parent.methods.indexOf(method)];
  return at(method.parent.file, [...rpc, optionsOfMethod, ruleExtensionNumber], rpc);
}

/** Where a service's default_rule is written, or the service. */
export function locateService(service: DescService): string {
  const path = servicePath(service);
  return at(service.file, [...path, optionsOfService, ruleExtensionNumber], path);
}
