import type { ContextValues, Interceptor } from "@connectrpc/connect";
import { guardContextValues } from "./peer.js";
import type { RawRequest } from "./raw-headers.js";

/**
 * Everything a Connect server needs from the guard, in one object to spread
 * into connectNodeAdapter, expressConnectMiddleware or fastifyConnectPlugin:
 * `connectNodeAdapter({ routes, ...guard.connectOptions })`. It installs the
 * guard and hands it the raw header list (a repeated Authorization header is
 * refused) and the TLS peer (for mTLS).
 */
export interface ConnectServerOptions {
  /** The guard's interceptor; a fresh array on each read, so adding yours never changes the guard's. */
  readonly interceptors: Interceptor[];
  /** guardContextValues: call it first in your own contextValues function, then set your values. */
  readonly contextValues: (req: RawRequest & { socket?: unknown }) => ContextValues;
}

/** The server options for a guard's Connect interceptor (what `guard.connectOptions` of the generated registry holds). */
export function connectServerOptions(interceptor: Interceptor): ConnectServerOptions {
  return Object.freeze({
    get interceptors() {
      return [interceptor];
    },
    contextValues: guardContextValues,
  });
}
