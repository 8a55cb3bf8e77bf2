// Hostile callers against real servers on 127.0.0.1: odd paths, duplicated and
// spoofed headers, streams that switch their bound id.
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MsgSchema, PublicService, UserService, WorkloadService } from "../gen/guardtest/v1/guard_pb.js";
import { callOnce, connectTo } from "../support/clients.js";
import { headersFor } from "../support/principals.js";
import { newObserved, type Running, startConnectServer, startGrpcServer } from "../support/servers.js";

/** Paths that name ClosedService/Unary or UserService/Unary in some other spelling. */
const oddPaths = [
  "guardtest.v1.UserService/Unary",
  "//guardtest.v1.UserService/Unary",
  "/guardtest.v1.UserService//Unary",
  "/guardtest.v1.UserService/%55nary",
  "/guardtest.v1.UserService%2FUnary",
  "/guardtest.v1.userservice/unary",
  "/GUARDTEST.V1.USERSERVICE/UNARY",
  "/guardtest.v1.UserService/Unary/",
  "/./guardtest.v1.UserService/Unary",
  "/guardtest.v1.PublicService/../UserService/Unary",
  "/guardtest.v1.PublicService/Unary/../../guardtest.v1.UserService/Unary",
  "/guardtest.v1.ClosedService/Unary?x=/guardtest.v1.PublicService/Unary",
  "/guardtest.v1.ClosedService/Unary#/guardtest.v1.PublicService/Unary",
];

function envelope(bytes: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + bytes.length);
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  return frame;
}

/** Sends one raw HTTP/2 request; resolves to the :status and grpc-status seen. */
function rawRequest(
  port: number,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer,
): Promise<{ status: number; grpcStatus: string | undefined }> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const done = (result: { status: number; grpcStatus: string | undefined }) => {
      session.close();
      resolve(result);
    };
    session.on("error", () => done({ status: -1, grpcStatus: undefined }));
    let status = -1;
    let grpcStatus: string | undefined;
    try {
      const stream = session.request({ ":method": "POST", ...headers });
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        grpcStatus = h["grpc-status"] as string | undefined;
      });
      stream.on("trailers", (t) => {
        grpcStatus = (t["grpc-status"] as string | undefined) ?? grpcStatus;
      });
      stream.on("error", () => done({ status, grpcStatus }));
      stream.on("close", () => done({ status, grpcStatus }));
      stream.resume();
      stream.end(body);
    } catch {
      done({ status: -1, grpcStatus: undefined });
    }
  });
}

const message = toBinary(MsgSchema, create(MsgSchema, { sandboxId: "sb-own" }));

for (const [name, start] of [
  ["connect-node", startConnectServer],
  ["grpc-js", startGrpcServer],
] as const) {
  describe(`${name}: hostile input`, () => {
    const seen = newObserved();
    let server: Running;
    let client: ReturnType<typeof connectTo>;
    beforeAll(async () => {
      server = await start(seen);
      client = connectTo(server.url, "grpc");
    });
    afterAll(async () => {
      client.close();
      await server.close();
    });

    it("control: the exact path of a public method does reach its handler", async () => {
      const before = seen.invocations.length;
      const asGrpc = await rawRequest(
        server.port,
        { ":path": "/guardtest.v1.PublicService/Unary", "content-type": "application/grpc", te: "trailers" },
        envelope(message),
      );
      expect(asGrpc).toEqual({ status: 200, grpcStatus: "0" });
      expect(seen.invocations.length).toBe(before + 1);
    });

    it.each(oddPaths)("path %s reaches no handler", async (path) => {
      const before = seen.invocations.length;
      const asGrpc = await rawRequest(
        server.port,
        { ":path": path, "content-type": "application/grpc", te: "trailers" },
        envelope(message),
      );
      expect(asGrpc.grpcStatus === "0" && asGrpc.status === 200).toBe(false);
      if (name === "connect-node") {
        const asConnect = await rawRequest(server.port, { ":path": path, "content-type": "application/proto" }, Buffer.from(message));
        expect(asConnect.status).not.toBe(200);
      }
      expect(seen.invocations.length).toBe(before);
    });

    it("two Authorization headers are not an identity", async () => {
      const headers: [string, string][] = [
        ["authorization", "Bearer user"],
        ["authorization", "Bearer superUser"],
      ];
      const before = seen.invocations.length;
      const got = await callOnce(client.transport, UserService, "unary", headers as unknown as Record<string, string>, ["x"]);
      expect(got).toBe(Code.Unauthenticated);
      expect(seen.invocations.length).toBe(before);
    });

    it("spoofed identity headers give no identity", async () => {
      const spoofed = {
        "x-forwarded-user": "root",
        "x-principal": '{"kind":"user","roles":["admin"]}',
        "x-user-id": "u-1",
        "x-forwarded-for": "127.0.0.1",
      };
      expect(await callOnce(client.transport, UserService, "unary", spoofed, ["x"])).toBe(Code.Unauthenticated);
      const before = seen.subjects.length;
      expect(await callOnce(client.transport, PublicService, "unary", spoofed, ["x"])).toBe("ok");
      expect(seen.subjects.slice(before)).toEqual(["anonymous"]);
    });

    it("a loopback caller without credentials gets no bypass", async () => {
      for (const kind of ["unary", "serverStream", "clientStream", "bidi"] as const) {
        expect(await callOnce(client.transport, UserService, kind, {}, ["sb-own"])).toBe(Code.Unauthenticated);
        expect(await callOnce(client.transport, WorkloadService, kind, {}, ["sb-own"])).toBe(Code.Unauthenticated);
      }
    });

    for (const kind of ["clientStream", "bidi"] as const) {
      it(`a ${kind} that switches its bound id is cut off before the handler sees it`, async () => {
        const before = seen.messages.length;
        const got = await callOnce(client.transport, WorkloadService, kind, headersFor("sandbox"), ["sb-own", "sb-other", "sb-own"]);
        expect(got).toBe(Code.PermissionDenied);
        expect(seen.messages.slice(before)).toEqual(["sb-own"]);
      });
    }

    it("a stream whose first message is foreign never reaches the handler", async () => {
      const before = seen.messages.length;
      expect(await callOnce(client.transport, WorkloadService, "clientStream", headersFor("sandbox"), ["sb-other", "sb-own"])).toBe(
        Code.PermissionDenied,
      );
      expect(seen.messages.slice(before)).toEqual([]);
    });

    it("the handler reads the admitted principal", async () => {
      const before = seen.subjects.length;
      expect(await callOnce(client.transport, WorkloadService, "unary", headersFor("sandbox"), ["sb-own"])).toBe("ok");
      expect(await callOnce(client.transport, UserService, "bidi", headersFor("user"), ["a"])).toBe("ok");
      expect(seen.subjects.slice(before)).toEqual(["sb-own", "u-1"]);
    });
  });
}
