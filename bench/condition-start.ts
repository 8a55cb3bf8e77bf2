// Guard start with many conditions: a service of `methods` RPCs, each with its
// own request type (or all sharing one), built as a descriptor in memory and
// passed to createGuard as a generated table would be. Each request type
// reaches a nested message of its own and, like the requests of a real API,
// a few message types shared by all (a page, money, an address…).
// Run alone: node --expose-gc --import tsx bench/condition-start.ts <distinct|one> [runtime dist dir]
// prints the milliseconds createGuard took, in this fresh process.
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceAuthz } from "protoauthz";

const sharedTypes = 8;
const { INT32, INT64, STRING, MESSAGE } = FieldDescriptorProto_Type;

const field = (name: string, number: number, type: FieldDescriptorProto_Type, typeName = "") => ({
  name,
  number,
  type,
  typeName,
  jsonName: name,
  label: FieldDescriptorProto_Label.OPTIONAL,
});

/** A service of `methods` RPCs; `distinct`: each reads its own request message Req<i>, else all read Req0. */
export function conditionService(methods: number, distinct: boolean): DescService {
  const messages: { name: string; field: ReturnType<typeof field>[] }[] = [{ name: "Res", field: [] }];
  for (let s = 0; s < sharedTypes; s++) {
    messages.push({ name: `Shared${s}`, field: [field("id", 1, STRING), field("count", 2, INT64), field("note", 3, STRING)] });
  }
  for (let i = 0; i < (distinct ? methods : 1); i++) {
    messages.push({ name: `Inner${i}`, field: [field("limit", 1, INT64)] });
    messages.push({
      name: `Req${i}`,
      field: [
        field("page_size", 1, INT32),
        field("account_id", 2, STRING),
        field("inner", 3, MESSAGE, `.bench.start.v1.Inner${i}`),
        ...Array.from({ length: sharedTypes }, (_, s) => field(`shared_${s}`, 10 + s, MESSAGE, `.bench.start.v1.Shared${s}`)),
      ],
    });
  }
  const file = create(FileDescriptorProtoSchema, {
    name: "bench/start/v1/start.proto",
    package: "bench.start.v1",
    syntax: "proto3",
    messageType: messages,
    service: [
      {
        name: "Start",
        method: Array.from({ length: methods }, (_, i) => ({
          name: `M${i}`,
          inputType: `.bench.start.v1.Req${distinct ? i : 0}`,
          outputType: ".bench.start.v1.Res",
        })),
      },
    ],
  });
  const service = createFileRegistry(file, () => undefined).getService("bench.start.v1.Start");
  if (service === undefined) throw new Error("the bench service did not build");
  return service;
}

/** Every method of `service` with one distinct three-clause condition. */
export function conditionRules(service: DescService): Record<string, unknown> {
  const rules: Record<string, unknown> = {};
  for (const [i, method] of service.methods.entries()) {
    rules[method.localName] = {
      access: "authenticated",
      principals: ["user"],
      conditions: [`request.page_size <= ${i} && request.inner.limit > 0 && principal.attributes['account_id'] == request.account_id`],
    };
  }
  return rules;
}

if (import.meta.filename === process.argv[1]) {
  const [which = "distinct", dist] = process.argv.slice(2);
  const runtime = (await import(dist === undefined ? "protoauthz" : `${dist}/index.js`)) as typeof import("protoauthz");
  const service = conditionService(5_000, which === "distinct");
  const table: ServiceAuthz = runtime.defineServiceAuthz(service, conditionRules(service) as never);
  // The 10,000 descriptors just built are young: collected now, their promotion is not charged to createGuard.
  (globalThis as { gc?: () => void }).gc?.();
  const started = performance.now();
  runtime.createGuard([table], { authenticate: () => undefined });
  console.log(performance.now() - started);
}
