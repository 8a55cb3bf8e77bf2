// protoauthz/tool: for tools built on protoauthz (protoc-gen-authz, its
// check / report / test CLI, policy tests), not for servers. The rule model
// as the plugin validates it, field paths as the guard reads them, the
// decision core without a guard around it, and the one copy of the
// annotation's extension descriptors. Servers use the root export.

export type { CheckedRule, FieldReader, FieldReaderFactory, PendingRelations, RuleRelationUse } from "../checked-rule.js";
export { withCaret } from "../conditions/ast.js";
export { type CheckResult, type ConditionProblem, checkCondition } from "../conditions/check.js";
export { type CompiledCondition, compileCondition, conditionCompiler } from "../conditions/condition.js";
export { ConditionEvalError } from "../conditions/values.js";
export { checkRule, decide, type RelationCallContext } from "../decide.js";
// Policy tests decide through a real guard, exactly as a server would.
export type { Decision } from "../decision.js";
export { type Denial, publicMessages } from "../decision.js";
export { AuthzConfigError, configProblem } from "../errors.js";
export { type FieldPathResult, maxFieldPathDepth, readFieldPath, resolveFieldPath } from "../field-path.js";
export { canonicalValue } from "../field-value.js";
export {
  type Authenticated,
  default_rule,
  file_protoauthz_v1_authz,
  type Rule as RuleMessage,
  RuleSchema,
  rule,
} from "../gen/protoauthz/v1/authz_pb.js";
export { createGuard } from "../guard.js";
export type { Guard } from "../guard-api.js";
export type { Principal } from "../principal.js";
export { procedurePath } from "../procedure-path.js";
export type { RelationChecker, RelationQuery } from "../relations.js";
export type { MethodRule, Requirements, Rule, RuleSource, ServiceAuthz } from "../rule.js";
export type { ConditionCompiler, RuleCondition } from "../rule-conditions.js";
export { type AlternativeRequirements, type RuleRequirements, ruleRequirements } from "../rule-requirements.js";
export { spicedbNaming } from "../spicedb/names.js";
export { compileTables, type TableEntry } from "../tables.js";
export { plainRelationNaming, type RelationNaming, type RuleProblem, type RuleValidator, type Vocabulary } from "../validate.js";
export { ruleValidator, validateRule } from "./validate-rule.js";
