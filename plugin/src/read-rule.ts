import { type DescMethod, type DescService, getOption, hasOption, type Message } from "@bufbuild/protobuf";
import type { Rule, RuleProblem } from "protoauthz";
import { default_rule, type Rule as RuleMessage, rule } from "protoauthz/protoauthz/v1/authz_pb.js";

export type ReadRule = { rule: Rule<unknown> | undefined; problems: RuleProblem[] } | undefined;

/** The method's own rule option, or undefined when it declares none. */
export function readMethodRule(method: DescMethod): ReadRule {
  return hasOption(method, rule) ? fromMessage(getOption(method, rule)) : undefined;
}

/** The service's default_rule option, or undefined when it declares none. */
export function readServiceRule(service: DescService): ReadRule {
  return hasOption(service, default_rule) ? fromMessage(getOption(service, default_rule)) : undefined;
}

/** Converts the option message to a rule, refusing anything it does not understand. */
function fromMessage(message: RuleMessage): { rule: Rule<unknown> | undefined; problems: RuleProblem[] } {
  const unknown = unknownFields(message);
  if (unknown.length > 0) {
    return {
      rule: undefined,
      problems: [
        {
          problem: `rule sets fields this protoc-gen-authz does not know (${unknown.join(", ")})`,
          fix: "upgrade protoc-gen-authz to the version of the protoauthz.v1 schema you import",
        },
      ],
    };
  }
  const access = message.access;
  switch (access.case) {
    case "public":
    case "deny":
      return { rule: { access: access.case, reason: access.value.reason }, problems: [] };
    case "authenticated": {
      const { principals, scopes, roles, bindings } = access.value;
      return {
        rule: {
          access: "authenticated",
          principals,
          scopes,
          roles,
          bindings: bindings.map(({ field, attribute }) => ({ field, attribute })),
        },
        problems: [],
      };
    }
    default:
      return {
        rule: undefined,
        problems: [{ problem: "rule sets no access", fix: "set exactly one of public, authenticated or deny" }],
      };
  }
}

/** "field 5 of protoauthz.v1.Authenticated" for every unknown field, at any depth. */
function unknownFields(message: Message): string[] {
  const found: string[] = [];
  const visit = (m: Message) => {
    for (const field of m.$unknown ?? []) found.push(`field ${field.no} of ${m.$typeName}`);
    for (const value of Object.values(m) as unknown[]) {
      if (Array.isArray(value)) {
        for (const v of value) if (isMessage(v)) visit(v);
      } else if (isMessage(value)) visit(value);
      else if (isOneof(value) && isMessage(value.value)) visit(value.value);
    }
  };
  visit(message);
  return found;
}

function isOneof(value: unknown): value is { case: string | undefined; value?: unknown } {
  return value !== null && typeof value === "object" && "case" in value;
}

function isMessage(value: unknown): value is Message {
  return value !== null && typeof value === "object" && typeof (value as { $typeName?: unknown }).$typeName === "string";
}
