import type { DescFile, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { type Rule, type RuleProblem, type RuleSource, type Vocabulary, validateRule } from "protoauthz";
import { printable } from "./escape.js";
import { formatLocation, type Location, locateMethod, locateService } from "./locate.js";
import { checkCollisions, checkNames } from "./names.js";
import type { Undeclared } from "./options.js";
import { readMethodRule, readServiceRule } from "./read-rule.js";

/** A method with the rule it ends up with. */
export interface MethodModel {
  readonly method: DescMethod;
  readonly rule: Rule<unknown>;
  readonly source: RuleSource | "undeclared";
  /** "file.proto:LINE:COL" of the rule (or of the service, for a default). */
  readonly location: string;
}

export interface ServiceModel {
  readonly service: DescService;
  readonly methods: readonly MethodModel[];
}

export interface Collected {
  readonly services: readonly ServiceModel[];
  /** Every problem in the request. */
  readonly problems: readonly Problem[];
  /** RPCs generated as deny or audit because they declare nothing (undeclared=deny|audit). */
  readonly undeclared: readonly string[];
}

/** One thing wrong, where it is written, and on which service or RPC. */
export interface Problem extends Location {
  /** "pkg.Service.Method", or "pkg.Service" for its default_rule. */
  readonly element: string;
  /** What is wrong, then how to fix it in parentheses. */
  readonly message: string;
  /** Lines shown under the message: a condition with a caret under what is wrong. */
  readonly excerpt?: string;
}

/**
 * `path/file.proto:LINE:COL: pkg.Service.Method: what is wrong (how to fix)`,
 * then the excerpt's lines, each printable on its own.
 */
export function formatProblem(problem: Problem): string {
  const head = printable(`${formatLocation(problem)}: ${problem.element}: ${problem.message}`);
  return problem.excerpt === undefined ? head : [head, ...problem.excerpt.split("\n").map(printable)].join("\n");
}

const undeclaredRule: Record<Exclude<Undeclared, "error">, Rule<unknown>> = {
  deny: { access: "deny", reason: "no rule declared: generated as deny by protoc-gen-authz (undeclared=deny)" },
  audit: {
    access: "audit",
    reason: "no rule declared: allowed, caller authenticated and audited by protoc-gen-authz (undeclared=audit)",
  },
};

/**
 * Decides every method's effective rule across all files and collects every
 * problem in the request, so one run reports them all.
 */
export function collect(files: readonly DescFile[], vocabulary: Vocabulary, undeclared: Undeclared): Collected {
  const services: ServiceModel[] = [];
  const problems: Problem[] = [...checkNames(files), ...checkCollisions(files)];
  // Decoded rules are shared between RPCs that declare the same bytes, so a
  // rule is validated once per request message type.
  const validated = new Map<Rule<unknown>, Map<DescMessage, RuleProblem[]>>();
  const validate = (rule: Rule<unknown>, request: DescMessage) => {
    let byRequest = validated.get(rule);
    if (byRequest === undefined) validated.set(rule, (byRequest = new Map()));
    let found = byRequest.get(request);
    if (found === undefined) byRequest.set(request, (found = validateRule(rule, request, vocabulary)));
    return found;
  };
  const generatedAsDeny: string[] = [];
  for (const file of files) {
    for (const [serviceIndex, service] of file.services.entries()) {
      const fallback = readServiceRule(service);
      const serviceLocation = locateService(service, serviceIndex);
      for (const p of fallback?.problems ?? []) {
        problems.push({ ...serviceLocation, element: service.typeName, message: `default_rule: ${p.problem} (${p.fix})`, ...excerptOf(p) });
      }
      const methods: MethodModel[] = [];
      const defaultProblems = new Map<string, string[]>(); // problem -> methods it affects
      for (const [methodIndex, method] of service.methods.entries()) {
        const where = `${service.typeName}.${method.name}`;
        const own = readMethodRule(method);
        if (own !== undefined) {
          const rule = own.rule;
          const location = locateMethod(method, serviceIndex, methodIndex);
          const found = rule ? validate(rule, method.input) : [];
          for (const p of [...own.problems, ...found])
            problems.push({ ...location, element: where, message: `${p.problem} (${p.fix})`, ...excerptOf(p) });
          if (rule) methods.push({ method, rule, source: "method", location: formatLocation(location) });
        } else if (fallback !== undefined) {
          const rule = fallback.rule;
          if (rule === undefined) continue;
          for (const p of validate(rule, method.input)) {
            const key = `${p.problem}\u0000${p.fix}\u0000${p.excerpt ?? ""}`;
            defaultProblems.set(key, [...(defaultProblems.get(key) ?? []), method.name]);
          }
          methods.push({ method, rule, source: "service_default", location: formatLocation(serviceLocation) });
        } else if (undeclared !== "error") {
          const location = formatLocation(locateMethod(method, serviceIndex, methodIndex));
          generatedAsDeny.push(`${location}: ${where}`);
          methods.push({ method, rule: undeclaredRule[undeclared], source: "undeclared", location });
        } else {
          problems.push({
            ...locateMethod(method, serviceIndex, methodIndex),
            element: where,
            message:
              "no rule (add option (protoauthz.v1.rule) = { public | authenticated | any_of | deny: {…} } to the RPC, or option (protoauthz.v1.default_rule) to the service)",
          });
        }
      }
      // A default's problem is reported once at the service; where it depends
      // on the request (a binding), it names the RPCs it breaks.
      const inheriting = methods.filter((m) => m.source === "service_default").length;
      for (const [key, names] of defaultProblems) {
        const [problem, fix, excerpt] = key.split("\u0000");
        const scope = names.length === inheriting ? "" : ` for ${names.join(", ")}`;
        const alternative = names.length === inheriting ? "" : `, or give ${names.join(", ")} a rule of its own`;
        problems.push({
          ...serviceLocation,
          element: service.typeName,
          message: `default_rule: ${problem}${scope} (${fix}${alternative})`,
          ...(excerpt ? { excerpt } : {}),
        });
      }
      services.push({ service, methods });
    }
  }
  return { services, problems, undeclared: generatedAsDeny };
}

/** A condition's line with a caret, shown under the message as buf shows proto errors. */
function excerptOf(problem: RuleProblem): { excerpt?: string } {
  return problem.excerpt === undefined ? {} : { excerpt: problem.excerpt };
}
