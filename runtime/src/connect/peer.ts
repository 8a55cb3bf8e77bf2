import type { TLSSocket } from "node:tls";
import { type ContextValues, createContextValues } from "@connectrpc/connect";
import { peerKey } from "./interceptor.js";
import { type RawRequest, recordRawAuthorization } from "./raw-headers.js";

/**
 * For the server's `contextValues` option (connectNodeAdapter,
 * expressConnectMiddleware, fastifyConnectPlugin): records what the guard
 * cannot see through Connect's request: the client certificate and whether
 * the TLS layer verified it (for the mTLS authenticator), and every raw
 * Authorization header (so a repeated one is refused instead of Node keeping
 * the first). `connectNodeAdapter({ routes, interceptors, contextValues: guardContextValues })`.
 */
export function guardContextValues(req: RawRequest & { socket?: unknown }): ContextValues {
  const values = createContextValues();
  recordRawAuthorization(values, req);
  const socket = (req.socket ?? (req.raw as { socket?: unknown } | undefined)?.socket) as Partial<TLSSocket> | undefined;
  if (socket?.encrypted === true && typeof socket.getPeerCertificate === "function") {
    const certificate = socket.getPeerCertificate();
    const raw = certificate?.raw;
    values.set(peerKey, { authorized: socket.authorized === true, certificate: raw ? { raw } : undefined });
  }
  return values;
}
