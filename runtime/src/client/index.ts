// protoauthz/client: what a client (a browser app, an SDK) can know of the
// rules, from the generated tables. Browser-safe: no Node import. A
// convenience for choosing credentials and gating UI, never a security
// boundary: the server's guard decides every call.
export { type CanCallAnswer, canCall, type Unknown } from "./can-call.js";
export { type AuthzClientOptions, createAuthzClientInterceptor, type TokenSource } from "./interceptor.js";
export { type AlternativeRequirements, type MethodOf, type RpcRequirements, requirementsOf } from "./requirements.js";
