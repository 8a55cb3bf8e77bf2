// grpc-js on both ends: a grpc-js client, built from the same descriptor, against
// the guarded grpc-js server.
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { grpcServiceDefinition } from "protoauthz/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Msg, MsgSchema, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { type CallerName, headersFor } from "../support/principals.js";
import { newObserved, type Running, startGrpcServer } from "../support/servers.js";

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

describe("grpc-js client → grpc-js server", () => {
  const seen = newObserved();
  let server: Running;
  let client: Client;
  beforeAll(async () => {
    server = await startGrpcServer(seen);
    const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(WorkloadService), "WorkloadService");
    client = new Constructor(server.url.replace("http://", ""), grpc.credentials.createInsecure()) as Client;
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  const metadata = (caller: CallerName) => {
    const md = new grpc.Metadata();
    for (const [key, value] of Object.entries(headersFor(caller))) md.set(key, value);
    return md;
  };
  const status = (error: grpc.ServiceError | null) => (error === null ? "OK" : grpc.status[error.code]);

  const unary = (caller: CallerName, sandboxId: string) =>
    new Promise<string>((resolve) => {
      client.unary?.(create(MsgSchema, { sandboxId }), metadata(caller), (error: grpc.ServiceError | null) => resolve(status(error)));
    });

  it("unary: own sandbox, foreign sandbox, anonymous", async () => {
    expect(await unary("sandbox", "sb-own")).toBe("OK");
    expect(await unary("sandbox", "sb-other")).toBe("PERMISSION_DENIED");
    expect(await unary("anonymous", "sb-own")).toBe("UNAUTHENTICATED");
    expect(await unary("brokenAuthenticator", "sb-own")).toBe("UNAVAILABLE");
    expect(await unary("brokenPrincipal", "sb-own")).toBe("UNAVAILABLE");
  });

  /** A bidi call that writes `ids`, then half-closes. */
  const bidi = (caller: CallerName, ids: readonly string[]) =>
    new Promise<string>((resolve) => {
      const call = client.bidi?.(metadata(caller)) as grpc.ClientDuplexStream<Msg, Msg>;
      call.on("data", () => {});
      call.on("error", (error: grpc.ServiceError) => resolve(status(error)));
      call.on("end", () => resolve("OK"));
      for (const sandboxId of ids) call.write(create(MsgSchema, { sandboxId }));
      call.end();
    });

  it("bidi: the handler starts only after the first message passed its binding", async () => {
    const invocations = seen.invocations.length;
    expect(await bidi("sandbox", [])).toBe("PERMISSION_DENIED");
    expect(await bidi("sandbox", ["sb-other"])).toBe("PERMISSION_DENIED");
    expect(seen.invocations.length).toBe(invocations);
    expect(await bidi("sandbox", ["sb-own"])).toBe("OK");
    expect(seen.invocations.length).toBe(invocations + 1);
  });

  it("bidi: a stream that switches its bound id is cut off", async () => {
    const before = seen.messages.length;
    const result = await new Promise<string>((resolve) => {
      const call = client.bidi?.(metadata("sandbox")) as grpc.ClientDuplexStream<Msg, Msg>;
      call.on("data", () => {});
      call.on("error", (error: grpc.ServiceError) => resolve(status(error)));
      call.on("end", () => resolve("OK"));
      call.write(create(MsgSchema, { sandboxId: "sb-own" }));
      call.write(create(MsgSchema, { sandboxId: "sb-other" }));
      call.end();
    });
    expect(result).toBe("PERMISSION_DENIED");
    expect(seen.messages.slice(before)).toEqual(["sb-own"]);
  });
});
