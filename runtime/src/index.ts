export type { AuditHook, AuthzEvent } from "./audit.js";
export { type Authenticator, authenticateWith } from "./authenticator.js";
export {
  AuthzCoverageError,
  assertCoverage,
  type Coverage,
  checkCoverage,
  servedByConnectRouter,
  servedByGrpcServer,
} from "./coverage.js";
export {
  type CheckedRule,
  checkRule,
  decide,
  type FieldReader,
  type ReaderOf,
  type RelationAsk,
  type RelationEngine,
  type RelationUseOfRule,
} from "./decide.js";
export {
  type AllowReason,
  type Attribution,
  type Decision,
  type DenyCode,
  type DenyReason,
  publicMessageOf,
} from "./decision.js";
export { AuthenticationError, AuthzConfigError } from "./errors.js";
export { type FieldPathResult, readFieldPath, resolveFieldPath } from "./field-path.js";
export { canonicalValue } from "./field-value.js";
export {
  type Authenticate,
  type AuthnRequest,
  type CallAuthorization,
  createGuard,
  type Guard,
  type GuardOptions,
  type Peer,
  type RequestHeaders,
} from "./guard.js";
export type { Principal } from "./principal.js";
export { type CallerOf, type CallHandle, callerOf, NotAdmittedError, type PrincipalFor, principalOf } from "./principal-of.js";
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
export { compileTables, procedureOf, type TableEntry } from "./tables.js";
export { type RuleProblem, type Vocabulary, validateRule } from "./validate.js";
