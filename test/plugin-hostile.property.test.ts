// Hostile input cannot change what generated code does. Requests are built
// straight from descriptors (protoc would refuse most of these names; an
// attacker's request need not come from protoc), with arbitrary Unicode in
// every string. Each generated file must parse to exactly the expected syntax
// tree, hold exactly the declared rules, and agree with the report.
// `npm run fuzz` runs many more cases (FUZZ_RUNS).
import { protoCamelCase, safeObjectProperty } from "@bufbuild/protobuf/reflect";
import fc from "fast-check";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { printable } from "../plugin/src/escape.js";
import { runAuthz, runEs } from "./support/generate.js";
import { type FileSpec, hostileRequest, ruleBytes } from "./support/hostile-request.js";
import { typecheck } from "./support/typecheck.js";

/** What a terminal would obey rather than show; error text must not contain it. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const unprintableInError = /[\u0000-\u001f\u2028\u2029\u202e]/;
const runs = Number(process.env.FUZZ_RUNS ?? 100);
const seed = Number(process.env.FUZZ_SEED ?? 20260811);

/** Pieces that end literals and comments, hide text, or start template code. */
const specials = [
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
const hostile = fc.string({ unit: fc.oneof(fc.constantFrom(...specials), fc.string({ unit: "binary", maxLength: 2 })), maxLength: 12 });
/** Non-blank and unpadded: what validation accepts as a name. */
const name = hostile.filter((s) => s !== "" && s.trim() === s);
const reason = hostile.filter((s) => s.trim() !== "");
const identifier = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/),
  fc.constantFrom("__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "defineService", "Service"),
);
/** Mostly identifiers; sometimes anything, which must be refused. */
const protoName = fc.oneof({ weight: 20, arbitrary: identifier }, { weight: 1, arbitrary: hostile });
/** Path segments: mostly printable (anything else is refused), with every special that is. */
const pathPart = fc.oneof(
  { weight: 8, arbitrary: hostile.map((s) => [...s].filter((ch) => printable(ch) === ch).join("")) },
  { weight: 1, arbitrary: hostile },
);
const isIdentifier = (s: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);

interface Requirements {
  principals: string[];
  scopes: string[];
  roles: string[];
  bindings: { field: string; attribute: string }[];
  relations: { resourceType: string; idField: string; permission: string }[];
}
type RuleSpec =
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

const rule = (fields: string[]): fc.Arbitrary<RuleSpec> =>
  fc.oneof(
    fc.record({ access: fc.constantFrom("public" as const, "deny" as const), reason }),
    requirements(fields).map((r) => ({ access: "authenticated" as const, ...r })),
    fc.array(requirements(fields), { minLength: 2, maxLength: 3 }).map((alternatives) => ({ access: "any_of" as const, alternatives })),
  );

/** protobuf-es's method key: first letter lowered, reserved names suffixed. */
const methodKey = (n: string) => safeObjectProperty(n.length === 0 ? n : n[0]?.toLowerCase() + n.slice(1));

interface Case {
  readonly file: string;
  readonly pkg: string;
  readonly fields: string[];
  readonly services: { name: string; methods: { name: string; rule: RuleSpec }[] }[];
}

const testCase: fc.Arbitrary<Case> = fc
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

function encode(r: RuleSpec): Uint8Array {
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

function requestOf(c: Case, parameter: string) {
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

const relationsValid = (c: Case) =>
  c.services.every((s) =>
    s.methods.every((m) => {
      const blocks = m.rule.access === "authenticated" ? [m.rule] : m.rule.access === "any_of" ? m.rule.alternatives : [];
      return blocks.every((b) => b.relations.every((r) => relationValid(c, r)));
    }),
  );

const namesValid = (c: Case) =>
  printable(c.file) === c.file &&
  (c.pkg === "" || /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(c.pkg)) &&
  c.fields.every((f) => isIdentifier(f) && isIdentifier(protoCamelCase(f))) &&
  c.services.every((s) => isIdentifier(s.name) && s.methods.every((m) => isIdentifier(m.name)));

/** The table the declaration asks for, in the plain form evaluate() returns. */
function expectedTable(service: Case["services"][number]) {
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

/**
 * Evaluates a literal the way JavaScript would, refusing every node that is
 * not plain data: a call, a template, a spread or a getter fails the test.
 */
function evaluate(node: ts.Node): unknown {
  if (ts.isStringLiteral(node)) return node.text;
  if (ts.isArrayLiteralExpression(node)) return node.elements.map(evaluate);
  if (ts.isObjectLiteralExpression(node)) {
    const out: Record<string, unknown> = {};
    for (const p of node.properties) {
      if (!ts.isPropertyAssignment(p)) throw new Error(`not a plain property: ${p.getText()}`);
      const key = ts.isIdentifier(p.name)
        ? p.name.text
        : ts.isStringLiteral(p.name)
          ? p.name.text
          : ts.isComputedPropertyName(p.name) && ts.isStringLiteral(p.name.expression)
            ? p.name.expression.text
            : undefined;
      if (key === undefined) throw new Error(`unexpected key ${p.name.getText()}`);
      if (key === "__proto__" && !ts.isComputedPropertyName(p.name)) throw new Error("a __proto__ key sets the prototype");
      if (Object.hasOwn(out, key)) throw new Error(`duplicate key ${key}`);
      Object.defineProperty(out, key, { value: evaluate(p.initializer), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (ts.isArrowFunction(node)) {
    expect(node.parameters.map((p) => p.getText())).toEqual(["request"]);
    assertPureAccess(node.body);
    return node.body.getText();
  }
  throw new Error(`unexpected ${ts.SyntaxKind[node.kind]}: ${node.getText()}`);
}

/** An accessor body: reads only, no calls. */
function assertPureAccess(node: ts.Node): void {
  const allowed = [
    ts.SyntaxKind.PropertyAccessExpression,
    ts.SyntaxKind.Identifier,
    ts.SyntaxKind.QuestionDotToken,
    ts.SyntaxKind.ParenthesizedExpression,
    ts.SyntaxKind.ConditionalExpression,
    ts.SyntaxKind.BinaryExpression,
    ts.SyntaxKind.EqualsEqualsEqualsToken,
    ts.SyntaxKind.QuestionToken,
    ts.SyntaxKind.ColonToken,
    ts.SyntaxKind.StringLiteral,
  ];
  if (!allowed.includes(node.kind)) throw new Error(`accessor contains ${ts.SyntaxKind[node.kind]}`);
  node.forEachChild(assertPureAccess);
}

function parse(name: string, text: string): ts.SourceFile {
  const source = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diagnostics = (source as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
  return source;
}

/** The header must be exactly three comment lines, whatever the input. */
function expectHeader(text: string): void {
  const [by, from, eslint] = text.split("\n");
  expect(by).toMatch(/^\/\/ @generated by protoc-gen-authz v/);
  expect(from).toMatch(/^\/\/ @generated /);
  expect(eslint).toBe("/* eslint-disable */");
  for (const line of [by, from]) expect(line).not.toMatch(/[\u2028\u2029\r]/);
}

/** Every import comes first; then one `export const XAuthz = defineServiceAuthz(X, {…} as const satisfies …)` per service. */
function checkTableFile(c: Case, text: string): void {
  expectHeader(text);
  const source = parse("table.ts", text);
  const statements = [...source.statements];
  const imports = statements.filter(ts.isImportDeclaration);
  expect(statements.slice(0, imports.length)).toEqual(imports);
  const rest = statements.slice(imports.length);
  expect(rest).toHaveLength(c.services.length);
  let calls = 0;
  const countCalls = (n: ts.Node) => {
    if (ts.isCallExpression(n) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n) || ts.isDecorator(n)) calls++;
    n.forEachChild(countCalls);
  };
  source.forEachChild(countCalls);
  expect(calls).toBe(c.services.length);
  for (const [i, statement] of rest.entries()) {
    const service = c.services[i];
    if (service === undefined || !ts.isVariableStatement(statement)) throw new Error(`statement ${i} is not a table`);
    expect(statement.modifiers?.map((m) => m.kind)).toEqual([ts.SyntaxKind.ExportKeyword]);
    const [declaration, ...more] = statement.declarationList.declarations;
    expect(more).toEqual([]);
    expect(declaration?.name.getText()).toBe(`${service.name}Authz`);
    const call = declaration?.initializer;
    if (call === undefined || !ts.isCallExpression(call)) throw new Error("table is not a call");
    expect(call.expression.getText()).toMatch(/^defineServiceAuthz(\$\d+)?$/);
    const [descriptor, rules, ...extra] = call.arguments;
    expect(extra).toEqual([]);
    expect(descriptor && ts.isIdentifier(descriptor)).toBe(true);
    if (rules === undefined || !ts.isSatisfiesExpression(rules) || !ts.isAsExpression(rules.expression)) throw new Error("rules shape");
    expect(evaluate(rules.expression.expression)).toEqual(expectedTable(service));
  }
  // Run it: the tables the guard would get hold exactly the declared rules,
  // and loading the module touches nothing else.
  const tables = run(source, text);
  for (const service of c.services) expect(plain(tables[`${service.name}Authz`])).toEqual(expectedTable(service));
}

/** Executes a table module with its imports supplied; returns its exports. */
function run(source: ts.SourceFile, text: string): Record<string, unknown> {
  const imported = source.statements
    .filter(ts.isImportDeclaration)
    .flatMap((d) => {
      const bindings = d.importClause?.namedBindings;
      return bindings !== undefined && ts.isNamedImports(bindings) ? bindings.elements.map((e) => e.name.text) : [];
    })
    .filter((name) => name !== "ServiceRules");
  // Imports removed, their names become the function's parameters.
  const imports = source.statements.filter(ts.isImportDeclaration);
  const withoutImports = text.slice(imports.at(-1)?.end ?? 0);
  const body = ts.transpileModule(withoutImports, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const supplied = imported.map((name) =>
    /^defineServiceAuthz(\$\d+)?$/.test(name) ? (service: unknown, rules: unknown) => ({ service, rules }) : { descriptor: name },
  );
  const globals = Object.getOwnPropertyNames(globalThis).length;
  const exports: Record<string, unknown> = {};
  new Function("exports", ...imported, body.outputText)(exports, ...supplied);
  expect(Object.getOwnPropertyNames(globalThis).length).toBe(globals);
  return exports;
}

/** A table's rules as plain data: accessors as their body text; any prototype but Object's fails. */
function plain(table: unknown): unknown {
  const convert = (value: unknown): unknown => {
    if (typeof value === "function") return String(value).replace(/^\(request\) => /, "");
    if (Array.isArray(value)) return value.map(convert);
    if (value !== null && typeof value === "object") {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value))
        Object.defineProperty(out, key, { value: convert((value as Record<string, unknown>)[key]), enumerable: true });
      return out;
    }
    return value;
  };
  return convert((table as { rules: unknown }).rules);
}

/** The registry: imports, then the same fixed declarations for every input. */
function checkRegistry(text: string): void {
  expectHeader(text);
  const source = parse("registry.ts", text);
  const declared = source.statements
    .filter((s) => !ts.isImportDeclaration(s))
    .map((s) =>
      ts.isVariableStatement(s)
        ? s.declarationList.declarations.map((d) => d.name.getText()).join()
        : (ts.isFunctionDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name
          ? s.name.text
          : ts.SyntaxKind[s.kind],
    );
  expect(declared).toEqual([
    "authzTables",
    "PrincipalKind",
    "Role",
    "Scope",
    "ResourceType",
    "Permission",
    "AuthzPrincipal",
    "authzVocabulary",
    "createAuthzGuard",
    "principalOf",
  ]);
}

/** The report's rows: one per RPC, with the access the table holds. */
function checkReport(c: Case, text: string): void {
  const rows = text.split("\n").filter((l) => l.startsWith("| `/"));
  const methods = c.services.flatMap((s) => s.methods);
  expect(rows).toHaveLength(methods.length);
  const alternatives = methods.map((m) => (m.rule.access === "any_of" ? m.rule.alternatives.length : 0)).reduce((a, b) => a + b, 0);
  expect(text.trimEnd().split("\n")).toHaveLength(6 + methods.length + alternatives);
  const byProcedure = new Map(
    c.services.flatMap((s) => s.methods.map((m) => [`/${c.pkg === "" ? "" : `${c.pkg}.`}${s.name}/${m.name}`, m.rule.access])),
  );
  for (const row of rows) {
    const cells = row.split(" | ");
    const procedure = cells[0]?.slice("| `".length, -1) ?? "";
    expect(cells[1]?.replaceAll("**", "").replace("any of:", "any_of")).toBe(byProcedure.get(procedure));
  }
}

describe("hostile input cannot change generated code", () => {
  it("every input string, through the whole plugin", () => {
    fc.assert(
      fc.property(testCase, (c) => {
        const { files, error } = runAuthz(requestOf(c, "target=ts,report=AUTHZ.md"));
        if (!namesValid(c) || !relationsValid(c)) {
          expect(files.size).toBe(0);
          expect(error).toMatch(
            /is not a proto identifier|is not a JavaScript identifier|contains a control, line-break or invisible character|relation /,
          );
          for (const line of error?.split("\n") ?? []) expect(line).not.toMatch(unprintableInError);
          return;
        }
        expect(error).toBeUndefined();
        const tableFile = [...files.keys()].find((f) => f.endsWith("_authz.ts"));
        checkTableFile(c, files.get(tableFile ?? "") ?? "");
        checkRegistry(files.get("authz_registry.ts") ?? "");
        checkReport(c, files.get("AUTHZ.md") ?? "");
      }),
      { seed, numRuns: runs },
    );
  });

  it("plugin parameters: refused, or the headers stay comments", () => {
    const c: Case = {
      file: "a/b.proto",
      pkg: "acme.v1",
      fields: ["id"],
      services: [{ name: "S", methods: [{ name: "M", rule: { access: "deny", reason: "r" } }] }],
    };
    const option = fc.constantFrom(
      "registry",
      "report",
      "principals",
      "roles",
      "scopes",
      "resources",
      "permissions",
      "adapters",
      "undeclared",
      "rewrite_imports",
    );
    fc.assert(
      fc.property(option, hostile, (key, value) => {
        const { files, error } = runAuthz(requestOf(c, `target=ts,${key}=${value}`));
        if (error !== undefined) {
          expect(files.size).toBe(0);
          for (const line of error.split("\n")) expect(line).not.toMatch(unprintableInError);
          return;
        }
        for (const [file, text] of files) {
          expect(file.split("/")).not.toContain("..");
          if (file.endsWith(".ts")) expectHeader(text);
        }
      }),
      { seed, numRuns: runs * 2 },
    );
  });
});

describe("hostile strings compile under strict", () => {
  it("every special sequence in paths, reasons, names, bindings and relations", () => {
    const nasty = specials.filter((p) => !["\n", "\r", "\u2028", "\u2029"].includes(p)).join("");
    const alternative = (principal: string): Requirements => ({
      principals: [principal],
      scopes: [`${nasty}scope`],
      roles: [],
      bindings: [{ field: "tenant_id", attribute: `${nasty}\n\u2028attr` }],
      relations: [{ resourceType: "workspace", idField: "tenant_id", permission: "write" }],
    });
    const c: Case = {
      // protoc-gen-es writes the path into its own `//` preamble, so the
      // path here has no line break; paths with invisible characters are
      // refused (the property above covers those).
      file: `evil*/${[...nasty].filter((ch) => printable(ch) === ch).join("")}/a.proto`,
      pkg: "acme.v1",
      fields: ["tenant_id"],
      services: [
        {
          name: "Evil",
          methods: [
            { name: "Purge", rule: { access: "deny", reason: `${nasty}\n*/ }); globalThis.pwned = 1; /*` } },
            { name: "__proto__", rule: { access: "public", reason: "\u2028\u2029\u0000" } },
            { name: "constructor", rule: { access: "authenticated", ...alternative(`user${nasty}`) } },
            { name: "toString", rule: { access: "any_of", alternatives: [alternative("owner"), alternative("admin*/")] } },
          ],
        },
      ],
    };
    const request = requestOf(c, "target=ts,import_extension=js");
    const { files, error } = runAuthz(request);
    expect(error).toBeUndefined();
    checkTableFile(c, [...files].find(([f]) => f.endsWith("_authz.ts"))?.[1] ?? "");
    expect(typecheck(new Map([...runEs(request), ...files]), "hostile")).toEqual([]);
  });
});
