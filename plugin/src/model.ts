import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { Rule, RuleSource } from "protoauthz/tool";
import type { Location } from "./location.js";

/** A method with the rule it ends up with. */
export interface MethodModel {
  readonly method: DescMethod;
  readonly rule: Rule<unknown>;
  readonly source: RuleSource | "undeclared";
  /** Where the rule is written (the service's, for a default; the RPC, for an undeclared one). */
  readonly location: Location;
}

/** A service and the rule of each of its methods, in declaration order. */
export interface ServiceModel {
  readonly service: DescService;
  readonly methods: readonly MethodModel[];
}

/** The service or RPC a rule or a problem belongs to, e.g. "pkg.Service.Method". */
export function elementName(service: DescService, method?: DescMethod): string {
  return method === undefined ? service.typeName : `${service.typeName}.${method.name}`;
}
