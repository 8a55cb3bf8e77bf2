import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { PublicService } from "../gen/guardtest/v1/guard_pb.js";

export type Protocol = "connect" | "grpc" | "grpc-web";
export type CallKind = "unary" | "serverStream" | "clientStream" | "bidi";
export const callKinds: readonly CallKind[] = ["unary", "serverStream", "clientStream", "bidi"];

/** A client side for one server: HTTP/2 sessions that the test closes. */
export function connectTo(
  url: string,
  protocol: Protocol,
  options: { useHttpGet?: boolean; tls?: { ca: string; cert?: string; key?: string } } = {},
) {
  const sessionManager = new Http2SessionManager(url, undefined, options.tls);
  const common = { baseUrl: url, httpVersion: "2" as const, sessionManager };
  const transport: Transport =
    protocol === "connect"
      ? createConnectTransport({ ...common, useHttpGet: options.useHttpGet ?? false })
      : protocol === "grpc"
        ? createGrpcTransport(common)
        : createGrpcWebTransport(common);
  return { transport, close: () => sessionManager.abort() };
}

async function* stream(ids: readonly string[]) {
  for (const sandboxId of ids) yield { sandboxId, text: "m" };
}

/**
 * Calls one method of a test service with the given sandbox ids as request
 * messages (one for unary and server streams) and returns "ok" or the code.
 */
export async function callOnce(
  transport: Transport,
  service: DescService,
  kind: CallKind,
  headers: Record<string, string>,
  ids: readonly string[],
): Promise<"ok" | Code> {
  const client = createClient(service as typeof PublicService, transport);
  try {
    switch (kind) {
      case "unary":
        await client.unary({ sandboxId: ids[0] ?? "", text: "m" }, { headers });
        break;
      case "serverStream":
        for await (const _ of client.serverStream({ sandboxId: ids[0] ?? "", text: "m" }, { headers })) {
          // drain
        }
        break;
      case "clientStream":
        await client.clientStream(stream(ids), { headers });
        break;
      case "bidi":
        for await (const _ of client.bidi(stream(ids), { headers })) {
          // drain
        }
        break;
    }
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

export { Code };
