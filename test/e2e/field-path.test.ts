// Binding paths cost the plugin and the guard work linear in their length:
// generated accessors grow by a line per oneof step (they used to double),
// resolution builds no prefix per step (it used to be quadratic), and a path
// deeper than 64 fields is refused. Work is measured in bytes, never in time.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create, createFileRegistry, type DescMessage, type DescService, toBinary } from "@bufbuild/protobuf";
import { fileDesc } from "@bufbuild/protobuf/codegenv2";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { AuthzConfigError, createGuard, defineServiceAuthz, type Principal, type ServiceAuthz } from "protoauthz";
import { createConnectInterceptor } from "protoauthz/connect";
import { resolveFieldPath } from "protoauthz/tool";
import { ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitAccessor } from "../../plugin/src/emit-accessor.js";
import { runAuthz, runEs } from "../support/generate.js";
import { buildRequest, repoRoot } from "../support/request.js";
import { typecheck } from "../support/typecheck.js";

const depths = [4, 8, 16, 32, 64] as const;

/** root.child…child.leaf.sandbox_id: `depth` fields, every step but the last through a oneof. */
function deepPath(depth: number): string {
  return ["root", ...Array<string>(depth - 3).fill("child"), "leaf", "sandbox_id"].join(".");
}

/** A recursive oneof, and one RPC per depth binding the leaf at that depth. */
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

let generated: Map<string, string>;
let Req: DescMessage;
let DeepService: DescService;

beforeAll(() => {
  const input = mkdtempSync(join(tmpdir(), "protoauthz-deep-"));
  try {
    mkdirSync(join(input, "deep/v1"), { recursive: true });
    writeFileSync(join(input, "deep/v1/deep.proto"), proto);
    const request = buildRequest(input, "target=ts,import_extension=js");
    const authz = runAuthz(request);
    expect(authz.error).toBeUndefined();
    generated = new Map([...runEs(request), ...authz.files]);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
    Req = registry.getMessage("deep.v1.Req") as DescMessage;
    DeepService = registry.getService("deep.v1.DeepService") as DescService;
  } finally {
    rmSync(input, { recursive: true, force: true });
  }
});

/** The generated table entry of method D<depth>, from its doc comment to its end. */
function entryOf(depth: number): string {
  const table = generated.get("deep/v1/deep_authz.ts") ?? "";
  const entry = table.split("\n  /**\n").find((chunk) => chunk.includes(`* D${depth}:`));
  expect(entry).toBeDefined();
  return entry ?? "";
}

/**
 * Bytes of the strings String#slice, String#split, Array#join and
 * Array#slice produce (elements, for the last) while `run` runs: the prefix
 * building that made resolution quadratic shows up here.
 */
function builtBytes(run: () => void): number {
  let bytes = 0;
  const original = {
    stringSlice: String.prototype.slice,
    split: String.prototype.split,
    join: Array.prototype.join,
    arraySlice: Array.prototype.slice,
  };
  function count<T extends { length: number }>(result: T): T {
    bytes += Array.isArray(result) ? result.reduce((sum: number, piece: unknown) => sum + String(piece).length, 0) : result.length;
    return result;
  }
  String.prototype.slice = function (this: string, ...args: [number?, number?]) {
    return count(original.stringSlice.apply(this, args));
  };
  String.prototype.split = function (this: string, ...args: unknown[]) {
    return count(Reflect.apply(original.split, this, args) as string[]);
  } as typeof String.prototype.split;
  Array.prototype.join = function (this: unknown[], ...args: [string?]) {
    return count(original.join.apply(this, args));
  };
  Array.prototype.slice = function (this: unknown[], ...args: [number?, number?]) {
    const result = original.arraySlice.apply(this, args);
    bytes += result.length;
    return result;
  };
  try {
    run();
  } finally {
    String.prototype.slice = original.stringSlice;
    String.prototype.split = original.split;
    Array.prototype.join = original.join;
    Array.prototype.slice = original.arraySlice;
  }
  return bytes;
}

describe("generated accessors", () => {
  it("grow linearly with the depth of a recursive oneof path", () => {
    const sizes = depths.map((d) => entryOf(d).length);
    // Bytes added per extra field, between consecutive depths: constant for
    // a linear emitter; it doubled at every step when the group was repeated.
    const perField = depths.slice(1).map((d, i) => ((sizes[i + 1] ?? 0) - (sizes[i] ?? 0)) / (d - (depths[i] ?? 0)));
    for (const growth of perField) expect(growth).toBeLessThan(100);
    expect(Math.max(...perField) / Math.min(...perField)).toBeLessThan(1.5);
  });

  it("read a 64-deep oneof path with one const per step and compile under strict", () => {
    const entry = entryOf(64);
    expect(entry.match(/const s\d+ = /g)).toHaveLength(62);
    expect(entry).toContain('return (s62?.case === "leaf" ? s62.value : undefined)?.sandboxId;');
    expect(typecheck(generated, "field-path")).toEqual([]);
  });
});

describe("accessor names", () => {
  // Names come from descriptors, which a hostile CodeGeneratorRequest controls.
  const hostile = ["x*/y", 'a"b', "c\u2028d", "e`$" + "{f}`", "constructor", "my field; globalThis.pwned = 1", "\u202eok", "__proto__"];
  // createFileRegistry refuses such names since protobuf-es 2.17, but the
  // plugin supports protoplugin ^2.13, which does not: build the descriptor
  // the way generated code embeds it, unvalidated.
  const hostileFile = fileDesc(
    Buffer.from(
      toBinary(
        FileDescriptorProtoSchema,
        create(FileDescriptorProtoSchema, {
          name: "hostile.proto",
          package: "h",
          syntax: "proto3",
          messageType: [
            {
              name: "Req",
              oneofDecl: [{ name: 'g"*/' }],
              field: hostile.map((name, i) => ({
                name,
                number: i + 1,
                type: FieldDescriptorProto_Type.STRING,
                label: FieldDescriptorProto_Label.OPTIONAL,
                ...(i % 2 === 1 ? { oneofIndex: 0 } : {}),
              })),
            },
          ],
        }),
      ),
    ).toString("base64"),
  );

  it("are one arrow function that reads the named property, whatever the name", () => {
    for (const field of (hostileFile.messages[0] as DescMessage).fields) {
      const text = emitAccessor([field]);
      const statements = ts.createSourceFile("a.ts", `(${text});`, ts.ScriptTarget.ES2022).statements;
      expect(statements.length, text).toBe(1);
      const statement = statements[0];
      expect(statement && ts.isExpressionStatement(statement) && ts.isParenthesizedExpression(statement.expression), text).toBe(true);
      const read = new Function(`return ${text}`)() as (request: unknown) => unknown;
      const request =
        field.oneof === undefined ? { [field.localName]: "v" } : { [field.oneof.localName]: { case: field.localName, value: "v" } };
      expect(read(request), text).toBe("v");
      expect(text).not.toMatch(/[\u2028\u2029]/);
    }
    expect("pwned" in globalThis).toBe(false);
  });
});

describe("path resolution", () => {
  it("builds strings linear in the path, up to the limit", () => {
    for (const depth of depths) {
      const path = deepPath(depth);
      let result: ReturnType<typeof resolveFieldPath> | undefined;
      const bytes = builtBytes(() => {
        result = resolveFieldPath(Req, path);
      });
      expect(result?.ok, path).toBe(true);
      expect(bytes).toBeLessThanOrEqual(2 * path.length);
    }
  });

  it("refuses a path deeper than 64 fields without walking it, naming the path", () => {
    for (const depth of [65, 1_000, 100_000]) {
      const path = ["root", ...Array<string>(depth - 1).fill("child")].join(".");
      let result: ReturnType<typeof resolveFieldPath> | undefined;
      const bytes = builtBytes(() => {
        result = resolveFieldPath(Req, path);
      });
      expect(result).toMatchObject({ ok: false, problem: expect.stringContaining(`is ${depth} fields deep, more than the limit of 64`) });
      expect(result?.ok === false && result.problem).toContain('binding field "root.child.child');
      // A bounded excerpt of the path, whatever its length.
      expect(bytes).toBeLessThanOrEqual(1024);
    }
  });

  it("names the walked prefix in errors past the first step", () => {
    const path = `root.child.child.leaf.sandbox_id.more`;
    expect(resolveFieldPath(Req, path)).toMatchObject({
      ok: false,
      problem: `binding field "${path}" steps into "root.child.child.leaf.sandbox_id", which is not a message`,
    });
  });

  it("says so when a path uses the JavaScript name of a field (userId for user_id), at any step", () => {
    expect(resolveFieldPath(Req, "root.child.child.leaf.sandboxId")).toEqual({
      ok: false,
      problem: `binding field "root.child.child.leaf.sandboxId" uses the JavaScript name "sandboxId" of deep.v1.Leaf field "sandbox_id"`,
      fix: 'name the proto field: "root.child.child.leaf.sandbox_id"',
    });
    const rules = Object.fromEntries(
      DeepService.methods.map((m) => [
        m.localName,
        { access: "authenticated", bindings: [{ field: "root.child.leaf.sandboxId", attribute: "sandbox_id" }] },
      ]),
    );
    const start = () => createGuard([defineServiceAuthz(DeepService, rules as never) as ServiceAuthz], { authenticate: () => undefined });
    expect(start).toThrow(/uses the JavaScript name "sandboxId" .* \(name the proto field: "root\.child\.leaf\.sandbox_id"\)/);
  });

  it("the guard refuses a rule in code whose path is too deep, with AuthzConfigError", () => {
    const field = ["root", ...Array<string>(999).fill("child")].join(".");
    const rules = Object.fromEntries(
      DeepService.methods.map((m) => [m.localName, { access: "authenticated", bindings: [{ field, attribute: "sandbox_id" }] }]),
    );
    const table = defineServiceAuthz(DeepService, rules as never) as ServiceAuthz;
    const start = () => createGuard([table], { authenticate: () => undefined });
    expect(start).toThrow(AuthzConfigError);
    expect(start).toThrow(/is 1000 fields deep, more than the limit of 64/);
  });
});

describe("a guard built from the generated 64-deep accessor", () => {
  const work = join(repoRoot, "test", `.field-path-${process.pid}`);
  let url = "";
  let close = async () => {};

  beforeAll(async () => {
    // The generated modules, imported as a user's server imports them.
    for (const [name, text] of generated) {
      mkdirSync(dirname(join(work, name)), { recursive: true });
      writeFileSync(join(work, name), text);
    }
    const tables = await import(join(work, "deep/v1/deep_authz.ts"));
    const pb = await import(join(work, "deep/v1/deep_pb.ts"));
    const callers: Record<string, Principal> = {
      own: { kind: "sandbox", subject: "sb-1", scopes: [], roles: [], attributes: { sandbox_id: "sb-1" } },
    };
    const guard = createGuard([tables.DeepServiceAuthz], {
      authenticate: ({ header }) => callers[header.get("authorization") ?? ""],
    });
    // Every method echoes its request; typed loosely, the service is built at run time.
    const echo = (request: unknown) => request;
    const impl = Object.fromEntries(depths.map((d) => [`d${d}`, echo])) as unknown as Partial<ServiceImpl<DescService>>;
    const handler = connectNodeAdapter({
      routes: (router) => router.service(pb.DeepService, impl),
      interceptors: [createConnectInterceptor(guard)],
    });
    const server = http2.createServer(handler);
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on("session", (s) => {
      sessions.add(s);
      s.on("close", () => sessions.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      });
  });

  afterAll(async () => {
    await close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A request whose leaf, `children` oneof steps below root, holds sandboxId. */
  function nested(children: number, sandboxId: string) {
    let node: unknown = { kind: { case: "leaf", value: { sandboxId } } };
    for (let i = 0; i < children; i++) node = { kind: { case: "child", value: node } };
    return create(Req, { root: node as never });
  }

  async function call(request: unknown): Promise<Code | "ok"> {
    const sessionManager = new Http2SessionManager(url);
    const client = createClient(DeepService, createConnectTransport({ baseUrl: url, httpVersion: "2", sessionManager })) as unknown as {
      d64(request: unknown, options: { headers: Record<string, string> }): Promise<unknown>;
    };
    try {
      await client.d64(request, { headers: { authorization: "own" } });
      return "ok";
    } catch (error) {
      return ConnectError.from(error).code;
    } finally {
      sessionManager.abort();
    }
  }

  it("admits the caller whose attribute equals the leaf 64 fields down", async () => {
    expect(await call(nested(61, "sb-1"))).toBe("ok");
  });

  it("denies another sandbox's leaf, and a leaf one step too shallow or deep", async () => {
    expect(await call(nested(61, "sb-2"))).toBe(Code.PermissionDenied);
    expect(await call(nested(60, "sb-1"))).toBe(Code.PermissionDenied);
    expect(await call(nested(62, "sb-1"))).toBe(Code.PermissionDenied);
  });
});
