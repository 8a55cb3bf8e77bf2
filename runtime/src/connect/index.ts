export { rejectMalformedAuthority } from "./authority.js";
export { createConnectInterceptor, peerKey, principalKey } from "./interceptor.js";
export { guardContextValues, tlsPeerContextValues } from "./peer.js";
export { type RawRequest, rawAuthorizationKey } from "./raw-headers.js";
export { type ConnectServerOptions, connectServerOptions } from "./server-options.js";
