import type { DescFile, DescMethod } from "@bufbuild/protobuf";
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import type { MethodRule, Rule, ServiceAuthz, Vocabulary } from "protoauthz/tool";
import type { GenerationConfig } from "../check/buf-gen.js";
import { InputError } from "../check/image.js";
import { collect } from "../collect.js";
import { printable } from "../escape.js";
import { formatLocation, type Location } from "../location.js";
import type { MethodModel } from "../model.js";
import { formatProblem } from "../problem.js";

/** One RPC the input generates a rule for. */
export interface RpcModel {
  /** "/pkg.Service/Method" */
  readonly procedure: string;
  readonly method: DescMethod;
  readonly rule: Rule<unknown>;
  /** "file.proto:LINE:COL" of the rule that decides (the RPC's own, or its service's default). */
  readonly ruleLocation: string;
  /** "file.proto:LINE:COL" of the RPC's declaration, where coverage gaps are reported. */
  readonly rpcLocation: string;
}

/** The rules `buf generate` would ship for an input, as the guard's tables. */
export interface PolicyModel {
  readonly rpcs: ReadonlyMap<string, RpcModel>;
  readonly tables: readonly ServiceAuthz[];
  readonly vocabulary: Vocabulary;
  /** Resolves message types for proto JSON (google.protobuf.Any). */
  readonly registry: Registry;
  /** Whether the protos declare this RPC ("/pkg.Service/Method") but buf.gen.yaml's types/exclude_types keep it from protoc-gen-authz. */
  leftOut(procedure: string): boolean;
}

/** The input as `check` loads it: the files buf hands protoc-gen-authz (type filters applied), and all it declares. */
export interface GeneratedInput {
  readonly files: readonly DescFile[];
  readonly declared: () => readonly DescFile[];
}

/**
 * Reads every rule of the input exactly as generation does (same files
 * after buf.gen.yaml's type filters, same collect, same vocabulary, same
 * undeclared=), refusing an input generation would refuse: its first
 * problem is the reason, at its file:line:col.
 */
export function buildModel(
  input: GeneratedInput,
  config: GenerationConfig | undefined,
  vocabulary: Vocabulary,
  mapPath: (file: string) => string,
): PolicyModel {
  const { files } = input;
  const undeclared = config?.options.undeclared ?? "error";
  const collected = collect(files, vocabulary, undeclared);
  const problems = collected.problems;
  const first = problems[0];
  if (first !== undefined) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: run protoc-gen-authz check)` : "";
    throw new InputError(`${formatProblem({ ...first, file: mapPath(first.file) })}${more}`);
  }
  const rpcs = new Map<string, RpcModel>();
  const tables: ServiceAuthz[] = [];
  for (const { service, methods } of collected.services) {
    const rules: Record<string, MethodRule<never>> = {};
    for (const model of methods) {
      const procedure = `/${service.typeName}/${model.method.name}`;
      rules[model.method.localName] = { ...(model.rule as MethodRule<never>), source: model.source };
      rpcs.set(procedure, {
        procedure,
        method: model.method,
        rule: model.rule,
        ruleLocation: shownLocation(model.location, mapPath),
        rpcLocation: shownLocation(declarationOf(model), mapPath),
      });
    }
    // The rules are read from descriptors: no typed accessor, as ServiceAuthz of any service.
    tables.push({ service, rules } satisfies ServiceAuthz);
  }
  let declared: Set<string> | undefined;
  const leftOut = (procedure: string) => {
    if (config?.filters !== true) return false;
    declared ??= new Set(input.declared().flatMap((f) => f.services.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`))));
    return declared.has(procedure) && !rpcs.has(procedure);
  };
  return { rpcs, tables, vocabulary, registry: createRegistry(...files), leftOut };
}

/** Source-code-info path parts: FileDescriptorProto.service = 6, ServiceDescriptorProto.method = 2. */
const serviceInFile = 6;
const methodInService = 2;

/** Where the RPC itself is declared ("rpc Name(…)"), else where its rule is. */
function declarationOf(model: MethodModel): Location {
  const { method } = model;
  const file = method.parent.file;
  const span = methodSpans(file).get(`${file.services.indexOf(method.parent)}/${method.parent.methods.indexOf(method)}`);
  return span === undefined ? model.location : { file: file.proto.name, line: (span[0] ?? 0) + 1, column: (span[1] ?? 0) + 1 };
}

/** "service/method" index → span of each method declaration; built once per file (a scan per RPC would be quadratic). */
function methodSpans(file: DescFile): Map<string, readonly number[]> {
  let spans = methodSpanCache.get(file);
  if (spans === undefined) {
    spans = new Map();
    for (const { path, span } of file.proto.sourceCodeInfo?.location ?? []) {
      if (path.length === 4 && path[0] === serviceInFile && path[2] === methodInService) {
        const key = `${path[1]}/${path[3]}`;
        if (!spans.has(key)) spans.set(key, span);
      }
    }
    methodSpanCache.set(file, spans);
  }
  return spans;
}

const methodSpanCache = new WeakMap<DescFile, Map<string, readonly number[]>>();

/** "file:line:col" with the file as the repository knows it. */
function shownLocation(location: Location, mapPath: (file: string) => string): string {
  return printable(formatLocation({ ...location, file: mapPath(location.file) }));
}
