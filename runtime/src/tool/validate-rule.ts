import type { DescMessage } from "@bufbuild/protobuf";
import type { Rule } from "../rule.js";
import { spicedbNaming } from "../spicedb/names.js";
import { type RelationNaming, type RuleProblem, RuleValidator, type Vocabulary } from "../validate.js";

/**
 * Checks one rule against the request message of its method, as
 * protoc-gen-authz does at generation time: the guard's checks, with relation
 * names in SpiceDB's grammar (the engine of protoauthz/spicedb) unless
 * another engine's `naming` is given.
 */
export function validateRule(
  rule: Rule<unknown>,
  request: DescMessage,
  vocabulary: Vocabulary = {},
  naming: RelationNaming = spicedbNaming,
): RuleProblem[] {
  return ruleValidator(vocabulary, naming).validate(rule, request);
}

/**
 * A validator for the rules of one run, as validateRule checks each: what
 * checking one rule's conditions learns (a condition read alike by many
 * request types is type-checked once) serves the rest of the run.
 */
export function ruleValidator(vocabulary: Vocabulary = {}, naming: RelationNaming = spicedbNaming): RuleValidator {
  return new RuleValidator(vocabulary, naming);
}
