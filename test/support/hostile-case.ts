// Random CodeGeneratorRequests with hostile strings everywhere, and what the
// plugin must make of each: the rules it must generate, or a refusal.
import { protoCamelCase, safeObjectProperty } from "@bufbuild/protobuf/reflect";
import fc from "fast-check";
import { printable } from "../../plugin/src/escape.js";
import { isCanonicalPath } from "../../plugin/src/names.js";
import { type FileSpec, hostileRequest, ruleBytes } from "./hostile-request.js";

/** Pieces that end literals and comments, hide text, or start template code. */
export const specials = [
  "*/",
  "/*",
  "*",
  "/",
  "`",
  "${",
  "}",
  '"',
  "'",
  "\\",
  "\n",
  "\r",
  "\u2028",
  "\u2029",
  "\u0000",
  "\u202e",
  "\u2066",
  "</script>",
  "|",
  ",",
];
export const hostile = fc.string({
  unit: fc.oneof(fc.constantFrom(...specials), fc.string({ unit: "binary", maxLength: 2 })),
  maxLength: 12,
});
/** Non-blank and unpadded: what validation accepts as a name. */
const name = hostile.filter((s) => s !== "" && s.trim() === s);
const reason = hostile.filter((s) => s.trim() !== "");
const identifier = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/),
  fc.constantFrom(
    "__proto__",
    "constructor",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "defineService",
    "Service",
    // Names the table module imports or declares: the generated ones must not shadow them.
    "ServiceRules",
    "ServiceAuthz",
    "Binding",
    "Relation",
    "RequestOf",
  ),
);
/** Mostly identifiers; sometimes anything, which must be refused. */
const protoName = fc.oneof({ weight: 20, arbitrary: identifier }, { weight: 1, arbitrary: hostile });
/** Path segments: mostly printable (anything else is refused), with every special that is. */
const pathPart = fc.oneof(
  { weight: 8, arbitrary: hostile.map((s) => [...s].filter((ch) => printable(ch) === ch).join("")) },
  { weight: 1, arbitrary: hostile },
);
const isIdentifier = (s: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);

export interface Requirements {
  principals: string[];
  scopes: string[];
  roles: string[];
  bindings: { field: string; attribute: string }[];
  relations: { resourceType: string; idField: string; permission: string }[];
}
export type RuleSpec =
  | { access: "public" | "deny"; reason: string }
  | ({ access: "authenticated" } & Requirements)
  | { access: "any_of"; alternatives: Requirements[] };

const requirements = (fields: string[]): fc.Arbitrary<Requirements> =>
  fc.record({
    principals: fc.uniqueArray(name, { minLength: 1, maxLength: 3 }),
    scopes: fc.uniqueArray(name, { maxLength: 2 }),
    roles: fc.uniqueArray(name, { maxLength: 2 }),
    bindings: fc.uniqueArray(fc.record({ field: fc.constantFrom(...fields), attribute: reason }), {
      maxLength: 2,
      selector: (b) => `${b.field}\u0000${b.attribute}`,
    }),
    relations: fc.uniqueArray(
      fc.record({
        // Mostly valid; sometimes anything, which validation must refuse.
        resourceType: fc.oneof(
          { weight: 30, arbitrary: fc.constantFrom("workspace", "tenant/document") },
          { weight: 1, arbitrary: hostile },
        ),
        idField: fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: hostile }),
        permission: fc.oneof({ weight: 30, arbitrary: fc.constantFrom("read", "write") }, { weight: 1, arbitrary: hostile }),
      }),
      { maxLength: 2, selector: (r) => `${r.resourceType}\u0000${r.idField}\u0000${r.permission}` },
    ),
  });

export const rule = (fields: string[]): fc.Arbitrary<RuleSpec> =>
  fc.oneof(
    fc.record({ access: fc.constantFrom("public" as const, "deny" as const), reason }),
    requirements(fields).map((r) => ({ access: "authenticated" as const, ...r })),
    fc.array(requirements(fields), { minLength: 2, maxLength: 3 }).map((alternatives) => ({ access: "any_of" as const, alternatives })),
  );

/** protobuf-es's method key: first letter lowered, reserved names suffixed. */
const methodKey = (n: string) => safeObjectProperty(n.length === 0 ? n : n[0]?.toLowerCase() + n.slice(1));

export interface Case {
  readonly file: string;
  readonly pkg: string;
  readonly fields: string[];
  readonly services: { name: string; methods: { name: string; rule: RuleSpec }[] }[];
}

export const testCase: fc.Arbitrary<Case> = fc
  .record({
    file: fc.tuple(pathPart, pathPart).map(([dir, base]) => `${dir}/${base}x.proto`),
    pkg: fc.oneof({ weight: 20, arbitrary: fc.constantFrom("", "acme.v1") }, { weight: 1, arbitrary: hostile }),
    fields: fc.uniqueArray(protoName, { minLength: 1, maxLength: 3, selector: (s) => s.toLowerCase().replaceAll("_", "") }),
  })
  .chain(({ file, pkg, fields }) =>
    fc.record({
      file: fc.constant(file),
      pkg: fc.constant(pkg),
      fields: fc.constant(fields),
      services: fc.uniqueArray(
        fc.record({
          name: protoName,
          methods: fc.uniqueArray(fc.record({ name: protoName, rule: rule(fields) }), {
            minLength: 1,
            maxLength: 4,
            selector: (m) => methodKey(m.name),
          }),
        }),
        { minLength: 1, maxLength: 2, selector: (s) => s.name },
      ),
    }),
  );

export function encode(r: RuleSpec): Uint8Array {
  const block = (q: Requirements) => q;
  switch (r.access) {
    case "public":
    case "deny":
      return ruleBytes({ access: { case: r.access, value: { reason: r.reason } } });
    case "authenticated":
      return ruleBytes({ access: { case: "authenticated", value: block(r) } });
    case "any_of":
      return ruleBytes({ access: { case: "anyOf", value: { alternatives: r.alternatives.map(block) } } });
  }
}

export function requestOf(c: Case, parameter: string) {
  const spec: FileSpec = {
    name: c.file,
    package: c.pkg,
    fields: c.fields,
    services: c.services.map((s) => ({ name: s.name, methods: s.methods.map((m) => ({ name: m.name, rule: [encode(m.rule)] })) })),
  };
  return hostileRequest([spec], parameter);
}

/** SpiceDB's grammar, as validation applies it. */
const relationValid = (c: Case, r: Requirements["relations"][number]) =>
  /^([a-z][a-z0-9_]{1,61}[a-z0-9]\/)*[a-z][a-z0-9_]{1,62}[a-z0-9]$/.test(r.resourceType) &&
  /^[a-z][a-z0-9_]{1,62}[a-z0-9]$/.test(r.permission) &&
  c.fields.includes(r.idField);

export const relationsValid = (c: Case) =>
  c.services.every((s) =>
    s.methods.every((m) => {
      const blocks = m.rule.access === "authenticated" ? [m.rule] : m.rule.access === "any_of" ? m.rule.alternatives : [];
      return blocks.every((b) => b.relations.every((r) => relationValid(c, r)));
    }),
  );

export const namesValid = (c: Case) =>
  printable(c.file) === c.file &&
  isCanonicalPath(c.file) &&
  (c.pkg === "" || /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(c.pkg)) &&
  c.fields.every((f) => isIdentifier(f) && isIdentifier(protoCamelCase(f))) &&
  c.services.every((s) => isIdentifier(s.name) && s.methods.every((m) => isIdentifier(m.name)));

/**
 * The rules type the declaration asks for, in the plain form evaluateType()
 * returns: literals kept, reasons `string`, accessor lists typed by the
 * method's request (`Binding<key>`), an empty binding list as `readonly []`.
 */
export function expectedRulesType(service: Case["services"][number]) {
  const req = (q: Requirements, key: string) => ({
    principals: q.principals,
    scopes: q.scopes,
    roles: q.roles,
    bindings: q.bindings.length > 0 ? `Binding<${key}>` : [],
    ...(q.relations.length > 0 && { relations: `Relation<${key}>` }),
  });
  const entry = (r: RuleSpec, key: string) => {
    switch (r.access) {
      case "public":
      case "deny":
        return { access: r.access, source: "method", reason: "string" };
      case "authenticated":
        return { access: r.access, source: "method", ...req(r, key) };
      case "any_of":
        return { access: r.access, source: "method", alternatives: r.alternatives.map((a) => req(a, key)) };
    }
  };
  return Object.fromEntries(service.methods.map((m) => [methodKey(m.name), entry(m.rule, methodKey(m.name))]));
}

/** The table the declaration asks for, in the plain form evaluate() returns. */
export function expectedTable(service: Case["services"][number]) {
  const camel = (f: string) => safeObjectProperty(protoCamelCase(f));
  const req = (q: Requirements) => ({
    principals: q.principals,
    scopes: q.scopes,
    roles: q.roles,
    bindings: q.bindings.map((b) => ({ ...b, read: `request.${camel(b.field)}` })),
    ...(q.relations.length > 0 && { relations: q.relations.map((r) => ({ ...r, read: `request.${camel(r.idField)}` })) }),
  });
  const entry = (r: RuleSpec) => {
    switch (r.access) {
      case "public":
      case "deny":
        return { access: r.access, source: "method", reason: r.reason };
      case "authenticated":
        return { access: r.access, source: "method", ...req(r) };
      case "any_of":
        return { access: r.access, source: "method", alternatives: r.alternatives.map(req) };
    }
  };
  return Object.fromEntries(
    service.methods.map((m) => {
      return [methodKey(m.name), entry(m.rule)];
    }),
  );
}
