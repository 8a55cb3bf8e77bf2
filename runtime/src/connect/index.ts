export { rejectMalformedAuthority } from "./authority.js";
export { servedByConnectRouter } from "./coverage.js";
export { createConnectInterceptor, peerKey } from "./interceptor.js";
export { guardContextValues } from "./peer.js";
export { type RawRequest, rawAuthorizationKey } from "./raw-headers.js";
export { type ConnectServerOptions, connectServerOptions } from "./server-options.js";
