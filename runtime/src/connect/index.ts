export { createConnectInterceptor, peerKey, principalKey } from "./interceptor.js";
