import type { TLSSocket } from "node:tls";
import { type ContextValues, createContextValues } from "@connectrpc/connect";
import { peerKey } from "./interceptor.js";

/**
 * For connectNodeAdapter's `contextValues` option on a TLS server: records the
 * client certificate and whether the TLS layer verified it, for the mTLS
 * authenticator. `connectNodeAdapter({ routes, interceptors, contextValues: tlsPeerContextValues })`.
 */
export function tlsPeerContextValues(req: { socket: unknown }): ContextValues {
  const values = createContextValues();
  const socket = req.socket as Partial<TLSSocket> | undefined;
  if (socket?.encrypted === true && typeof socket.getPeerCertificate === "function") {
    const certificate = socket.getPeerCertificate();
    const raw = certificate?.raw;
    values.set(peerKey, { authorized: socket.authorized === true, certificate: raw ? { raw } : undefined });
  }
  return values;
}
