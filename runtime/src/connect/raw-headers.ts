import { type ContextValues, createContextKey } from "@connectrpc/connect";
import type { RequestHeaders } from "../guard-api.js";

/**
 * Node keeps only the first of repeated single-value headers (Authorization
 * among them) on HTTP/1.1 and HTTP/2, so `Authorization: Bearer <a>` followed
 * by `Authorization: Bearer <b>` reaches Connect as just `<a>`. The raw header
 * list still has both; this records every Authorization value it holds.
 */
export const rawAuthorizationKey = createContextKey<readonly string[] | undefined>(undefined, {
  description: "protoauthz raw Authorization header values",
});

/** The server request as connect-node, express (`rawHeaders`) and fastify (`raw.rawHeaders`) hand it to `contextValues`. */
export interface RawRequest {
  readonly rawHeaders?: readonly string[];
  readonly raw?: { readonly rawHeaders?: readonly string[] };
}

/** Records the raw Authorization values of a request, where the server exposes them. */
export function recordRawAuthorization(values: ContextValues, req: RawRequest): void {
  const raw = req.rawHeaders ?? req.raw?.rawHeaders;
  if (!Array.isArray(raw)) return;
  const found: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i].toLowerCase() === "authorization") found.push(raw[i + 1]);
  }
  values.set(rawAuthorizationKey, found);
}

/**
 * Whether a call was served by something that can send a repeated header
 * without the raw list reaching the guard: any Connect server but the
 * in-memory router transport (whose Headers keep every value, joined).
 */
export function lacksRawAuthorization(contextValues: ContextValues, url: string): boolean {
  return contextValues.get(rawAuthorizationKey) === undefined && !url.startsWith("https://in-memory/");
}

/** Said once per interceptor, on the first call that arrives without the raw header list. */
export const missingRawHeadersWarning =
  "protoauthz: WARNING — Connect calls reach the guard without the raw header list, so a request with two " +
  "Authorization headers is read as its first one (Node keeps only the first). Fix: spread the guard's options " +
  "into the server, connectNodeAdapter({ routes, ...guard.connectOptions }) (the same for expressConnectMiddleware " +
  'and fastifyConnectPlugin), or pass contextValues: guardContextValues from "protoauthz/connect".';

/**
 * The request headers as authenticators must see them: a repeated
 * Authorization header reads as its values joined by ", " (as Headers joins
 * any repeated header), which no authenticator accepts as one credential.
 */
export function withRawAuthorization(header: Headers, contextValues: ContextValues): RequestHeaders {
  const raw = contextValues.get(rawAuthorizationKey);
  if (raw === undefined || raw.length < 2) return header;
  const joined = raw.join(", ");
  return {
    get: (name) => (name.toLowerCase() === "authorization" ? joined : header.get(name)),
    has: (name) => header.has(name),
    forEach: (callback, thisArg) => {
      header.forEach((value, key, parent) => {
        callback.call(thisArg, key === "authorization" ? joined : value, key, parent);
      });
    },
  };
}
