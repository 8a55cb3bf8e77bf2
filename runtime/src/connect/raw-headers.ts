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
