import type { DescFile, DescMethod, DescService } from "@bufbuild/protobuf";
import { type Rule, type RuleSource, type Vocabulary, validateRule } from "protoauthz";
import { locateMethod, locateService } from "./locate.js";
import { readMethodRule, readServiceRule } from "./read-rule.js";

/** A method with the rule it ends up with. */
export interface MethodModel {
  readonly method: DescMethod;
  readonly rule: Rule<unknown>;
  readonly source: RuleSource | "undeclared";
  /** "file.proto:LINE:COL" of the rule (or of the RPC, for a default). */
  readonly location: string;
}

export interface ServiceModel {
  readonly service: DescService;
  readonly methods: readonly MethodModel[];
}

export interface Collected {
  readonly services: readonly ServiceModel[];
  /** Every problem, formatted `file:line:col: pkg.Service.Method: what (fix)`. */
  readonly problems: readonly string[];
  /** RPCs generated as deny because they declare nothing (undeclared=deny). */
  readonly undeclared: readonly string[];
}

const undeclaredReason = "no rule declared: generated as deny by protoc-gen-authz (undeclared=deny)";

/**
 * Decides every method's effective rule across all files and collects every
 * problem in the request, so one run reports them all.
 */
export function collect(files: readonly DescFile[], vocabulary: Vocabulary, undeclared: "error" | "deny"): Collected {
  const services: ServiceModel[] = [];
  const problems: string[] = [];
  const generatedAsDeny: string[] = [];
  for (const file of files) {
    for (const service of file.services) {
      const fallback = readServiceRule(service);
      for (const p of fallback?.problems ?? [])
        problems.push(`${locateService(service)}: ${service.typeName}: default_rule: ${p.problem} (${p.fix})`);
      const methods: MethodModel[] = [];
      const defaultProblems = new Map<string, string[]>(); // problem -> methods it affects
      for (const method of service.methods) {
        const where = `${service.typeName}.${method.name}`;
        const own = readMethodRule(method);
        if (own !== undefined) {
          const rule = own.rule;
          const found = own.problems.concat(rule ? validateRule(rule, method.input, vocabulary) : []);
          for (const p of found) problems.push(`${locateMethod(method)}: ${where}: ${p.problem} (${p.fix})`);
          if (rule) methods.push({ method, rule, source: "method", location: locateMethod(method) });
        } else if (fallback !== undefined) {
          const rule = fallback.rule;
          if (rule === undefined) continue;
          for (const p of validateRule(rule, method.input, vocabulary)) {
            const key = `${p.problem}\u0000${p.fix}`;
            defaultProblems.set(key, [...(defaultProblems.get(key) ?? []), method.name]);
          }
          methods.push({ method, rule, source: "service_default", location: locateService(service) });
        } else if (undeclared === "deny") {
          generatedAsDeny.push(`${locateMethod(method)}: ${where}`);
          methods.push({
            method,
            rule: { access: "deny", reason: undeclaredReason },
            source: "undeclared",
            location: locateMethod(method),
          });
        } else {
          problems.push(
            `${locateMethod(method)}: ${where}: no rule (add option (protoauthz.v1.rule) = { public | authenticated | deny: {…} } to the RPC, or option (protoauthz.v1.default_rule) to the service)`,
          );
        }
      }
      // A default's problem is reported once at the service; where it depends
      // on the request (a binding), it names the RPCs it breaks.
      const inheriting = methods.filter((m) => m.source === "service_default").length;
      for (const [key, names] of defaultProblems) {
        const [problem, fix] = key.split("\u0000");
        const scope = names.length === inheriting ? "" : ` for ${names.join(", ")}`;
        const alternative = names.length === inheriting ? "" : `, or give ${names.join(", ")} a rule of its own`;
        problems.push(`${locateService(service)}: ${service.typeName}: default_rule: ${problem}${scope} (${fix}${alternative})`);
      }
      services.push({ service, methods });
    }
  }
  return { services, problems, undeclared: generatedAsDeny };
}
