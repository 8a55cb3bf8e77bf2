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
      // A default applies to methods with different requests: check it per method
      // for bindings, but report problems at the service once.
      const reportedAtService = new Set<string>();
      const methods: MethodModel[] = [];
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
            const line = `${locateService(service)}: ${service.typeName}: default_rule: ${p.problem} for ${method.name} (${p.fix}, or give ${method.name} its own rule)`;
            if (!reportedAtService.has(line)) problems.push(line);
            reportedAtService.add(line);
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
      services.push({ service, methods });
    }
  }
  return { services, problems, undeclared: generatedAsDeny };
}
