// The generated 64-deep accessor, imported as a user's server imports it,
// binds the leaf 64 fields down in a real guard over Connect on HTTP/2.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { create, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { createGuard, type Principal } from "protoauthz";
import { createConnectInterceptor } from "protoauthz/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileDeepPath, depths } from "../support/deep-path.js";
import { repoRoot } from "../support/request.js";

let Req: DescMessage;
let DeepService: DescService;

describe("a guard built from the generated 64-deep accessor", () => {
  const work = join(repoRoot, "test", `.field-path-${process.pid}`);
  let url = "";
  let close = async () => {};

  beforeAll(async () => {
    const { generated, ...descriptors } = compileDeepPath();
    ({ Req, DeepService } = descriptors);
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
