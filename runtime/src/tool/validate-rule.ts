import type { DescMessage } from "@bufbuild/protobuf";
import type { Rule } from "../rule.js";
import { spicedbNaming } from "../spicedb/names.js";
import { type RelationNaming, type RuleProblem, type Vocabulary, validateRule as validateRuleWith } from "../validate.js";

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
  return validateRuleWith(rule, request, vocabulary, naming);
}
