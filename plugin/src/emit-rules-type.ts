import type { GeneratedFile, Printable } from "@bufbuild/protoplugin";
import type { Requirements } from "protoauthz";
import type { MethodModel } from "./collect.js";
import { propertyKey, stringLiteral } from "./escape.js";

/** The symbols a rules type refers to: the service's descriptor and protoauthz's type helpers. */
export interface RulesTypeSymbols {
  readonly descriptor: Printable;
  readonly Binding: Printable;
  readonly Relation: Printable;
  readonly RequestOf: Printable;
}

/** The symbols of the rules type of the service `descriptor` in `f`. */
export function rulesTypeSymbols(f: GeneratedFile, descriptor: Printable): RulesTypeSymbols {
  return {
    descriptor,
    Binding: f.import("Binding", "protoauthz", true),
    Relation: f.import("Relation", "protoauthz", true),
    RequestOf: f.import("RequestOf", "protoauthz", true),
  };
}

/**
 * A method's member of the table's rules type, as pieces for one print. The
 * literals principalOf narrows on (access, principal kinds, also of each
 * alternative) and the vocabulary's names stay literal; accessors are typed by
 * the method's request, so they are checked against it in the table below and
 * callable with it by users. Written out, not inferred, so that declaration
 * files (target=js+dts) keep exactly these types.
 */
export function methodType(model: MethodModel, symbols: RulesTypeSymbols): Printable[] {
  const { rule, source, method } = model;
  const request = [symbols.RequestOf, "<typeof ", symbols.descriptor, ", ", stringLiteral(method.localName), ">"];
  const head = [
    `  readonly ${propertyKey(method.localName)}: {\n`,
    `    readonly access: ${stringLiteral(rule.access)};\n`,
    `    readonly source: ${stringLiteral(source)};\n`,
  ].join("");
  switch (rule.access) {
    case "public":
    case "deny":
    case "audit":
      return [`${head}    readonly reason: string;\n  };`];
    case "authenticated":
      return [head, ...requirements(rule, request, symbols, "    "), "  };"];
    case "any_of": {
      const alternatives = rule.alternatives.flatMap((a) => ["      {\n", ...requirements(a, request, symbols, "        "), "      },\n"]);
      return [head, "    readonly alternatives: readonly [\n", ...alternatives, "    ];\n  };"];
    }
  }
}

/** Members of an authenticated rule or of one alternative, one per line, as the table's literal has them. */
function requirements(rule: Requirements<unknown>, request: Printable[], symbols: RulesTypeSymbols, indent: string): Printable[] {
  const pieces: Printable[] = [
    `${indent}readonly principals: ${tuple(rule.principals)};\n`,
    `${indent}readonly scopes: ${tuple(rule.scopes)};\n`,
    `${indent}readonly roles: ${tuple(rule.roles)};\n`,
  ];
  // No bindings is the common case: a plain empty tuple saves three imported
  // symbols per method, which is most of what printing costs.
  if ((rule.bindings ?? []).length === 0) pieces.push(`${indent}readonly bindings: readonly [];\n`);
  else pieces.push(`${indent}readonly bindings: readonly `, symbols.Binding, "<", request, ">[];\n");
  // Present exactly where the table's literal has relations.
  if ((rule.relations ?? []).length > 0) pieces.push(`${indent}readonly relations: readonly `, symbols.Relation, "<", request, ">[];\n");
  // Each condition as its literal type: a change to one shows in the type, and tests can name it.
  if ((rule.conditions ?? []).length > 0) pieces.push(`${indent}readonly conditions: ${tuple(rule.conditions)};\n`);
  return pieces;
}

/** `readonly ["a", "b"]`: the names, in order, as literal types. */
function tuple(values: readonly string[] | undefined): string {
  return `readonly [${(values ?? []).map(stringLiteral).join(", ")}]`;
}
