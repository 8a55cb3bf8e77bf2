export { rejectMalformedAuthority } from "./authority.js";
export { createConnectInterceptor, peerKey, principalKey } from "./interceptor.js";
export { tlsPeerContextValues } from "./peer.js";
