// The user API: what a server, its handlers and its tests use. What tools
// need (the plugin, the CLI, policy tests) is in "protoauthz/tool"; each
// framework, authenticator and engine has its own subpath.

export type { AuditHook, AuthzEvent } from "./audit.js";
export { type Authenticator, authenticateWith } from "./authenticator.js";
export { AuthzCoverageError, assertCoverage, type Coverage, checkCoverage } from "./coverage.js";
export type { AllowReason, Attribution, Decision, DenyCode, DenyReason } from "./decision.js";
export {
  AuthenticationError,
  AuthzConfigError,
  type ConfigProblem,
  isAuthenticationError,
  isAuthzConfigError,
} from "./errors.js";
export { createGuard } from "./guard.js";
export type {
  Authenticate,
  AuthnRequest,
  CallAuthorization,
  Guard,
  GuardOptions,
  Peer,
  ProducedPrincipals,
  RequestHeaders,
} from "./guard-api.js";
export type { Principal } from "./principal.js";
export { type Caller, type CallHandle, callerOf, NotAdmittedError, type PrincipalFor, principalOf } from "./principal-of.js";
export {
  type RelationChecker,
  type RelationQuery,
  RelationRefusal,
  type RelationRefusalReason,
  type RelationUse,
} from "./relations.js";
export {
  type AnyOfRule,
  type AnyServiceRules,
  type AuditRule,
  type AuthenticatedRule,
  type Binding,
  type DenyRule,
  defineServiceAuthz,
  type MethodRule,
  type PublicRule,
  type Relation,
  type RequestOf,
  type Requirements,
  type Rule,
  type RuleSource,
  type ServiceAuthz,
  type ServiceRules,
} from "./rule.js";
export type { Vocabulary } from "./validate.js";
