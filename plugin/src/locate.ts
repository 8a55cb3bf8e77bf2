import type { DescFile, DescMethod, DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, MethodDescriptorProtoSchema, ServiceDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { default_rule, rule } from "protoauthz/tool";
import type { Location } from "./location.js";

/** The source-code-info path steps to services, methods, their options and the rule extensions. */
const serviceInFile = FileDescriptorProtoSchema.field.service.number;
const methodInService = ServiceDescriptorProtoSchema.field.method.number;
const optionsOfService = ServiceDescriptorProtoSchema.field.options.number;
const optionsOfMethod = MethodDescriptorProtoSchema.field.options.number;

type Span = readonly number[];

/** Spans of one file's services, methods and their rule options, by index. */
interface FileSpans {
  readonly service: Span[];
  readonly serviceRule: Span[];
  readonly method: Span[][];
  readonly methodRule: Span[][];
}

const cache = new WeakMap<DescFile, FileSpans>();

/** Indexes only what is ever looked up, once per file (descriptors are per run, so is this). */
function spansOf(file: DescFile): FileSpans {
  let spans = cache.get(file);
  if (spans !== undefined) return spans;
  spans = { service: [], serviceRule: [], method: [], methodRule: [] };
  const locations = file.proto.sourceCodeInfo?.location ?? [];
  // Indexed: several locations per RPC, and iterators allocate in a run too short to be optimized.
  for (let i = 0; i < locations.length; i++) {
    const { path, span } = locations[i] as (typeof locations)[number];
    if (path[0] !== serviceInFile) continue;
    const s = path[1] ?? -1;
    if (path.length === 2) spans.service[s] ??= span;
    else if (path.length === 4 && path[2] === optionsOfService && path[3] === default_rule.number) spans.serviceRule[s] ??= span;
    else if (path[2] === methodInService) {
      const m = path[3] ?? -1;
      if (path.length === 4) (spans.method[s] ??= [])[m] ??= span;
      else if (path.length === 6 && path[4] === optionsOfMethod && path[5] === rule.number) (spans.methodRule[s] ??= [])[m] ??= span;
    }
  }
  cache.set(file, spans);
  return spans;
}

/** The option's span, else the element's, else just the file. */
function at(file: DescFile, option: Span | undefined, element: Span | undefined): Location {
  const span = option !== undefined && option.length >= 2 ? option : element;
  if (span === undefined || span.length < 2) return { file: file.proto.name };
  return { file: file.proto.name, line: (span[0] ?? 0) + 1, column: (span[1] ?? 0) + 1 };
}

/** Where a method's rule option is written, or the method when it has none. */
export function locateMethod(method: DescMethod, serviceIndex: number, methodIndex: number): Location {
  const spans = spansOf(method.parent.file);
  return at(method.parent.file, spans.methodRule[serviceIndex]?.[methodIndex], spans.method[serviceIndex]?.[methodIndex]);
}

/** Where a service's default_rule is written, or the service. */
export function locateService(service: DescService, serviceIndex: number): Location {
  const spans = spansOf(service.file);
  return at(service.file, spans.serviceRule[serviceIndex], spans.service[serviceIndex]);
}
