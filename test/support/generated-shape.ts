// What a generated file may look like, checked on its syntax tree and by
// running it: exactly the expected statements, no call but the table's own,
// and exactly the declared rules.
import { ts } from "ts-morph";
import { expect } from "vitest";
import { type Case, expectedRulesType, expectedTable } from "./hostile-case.js";

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
      const key = keyOf(p.name);
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

/** A property key of an object literal or a type literal, as its text. */
function keyOf(name: ts.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name) && ts.isStringLiteral(name.expression)) return name.expression.text;
  throw new Error(`unexpected key ${name.getText()}`);
}

/**
 * Evaluates a rules type to plain data, refusing every node but readonly
 * members, string literal types, readonly tuples of them, `string`, and
 * `readonly Binding<RequestOf<typeof <descriptor>, "key">>[]` (returned as
 * `Binding<key>`).
 */
function evaluateType(node: ts.TypeNode, descriptor: string): unknown {
  if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return node.literal.text;
  if (node.kind === ts.SyntaxKind.StringKeyword) return "string";
  if (ts.isTypeLiteralNode(node)) {
    const out: Record<string, unknown> = {};
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || member.type === undefined || member.questionToken !== undefined)
        throw new Error(`not a plain member: ${member.getText()}`);
      expect(member.modifiers?.map((m) => m.kind)).toEqual([ts.SyntaxKind.ReadonlyKeyword]);
      const key = keyOf(member.name);
      if (Object.hasOwn(out, key)) throw new Error(`duplicate key ${key}`);
      Object.defineProperty(out, key, {
        value: evaluateType(member.type, descriptor),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.ReadonlyKeyword) {
    const inner = node.type;
    if (ts.isTupleTypeNode(inner)) return inner.elements.map((e) => evaluateType(e, descriptor));
    if (ts.isArrayTypeNode(inner) && ts.isTypeReferenceNode(inner.elementType)) {
      const { typeName, typeArguments } = inner.elementType;
      const [request, ...more] = typeArguments ?? [];
      expect(more).toEqual([]);
      if (request === undefined || !ts.isTypeReferenceNode(request)) throw new Error(`not a request type: ${inner.getText()}`);
      expect(request.typeName.getText()).toMatch(/^RequestOf(\$\d+)?$/);
      const [service, method, ...extra] = request.typeArguments ?? [];
      expect(extra).toEqual([]);
      if (service === undefined || !ts.isTypeQueryNode(service)) throw new Error(`not typeof the service: ${request.getText()}`);
      expect(service.exprName.getText()).toBe(descriptor);
      if (method === undefined || !ts.isLiteralTypeNode(method) || !ts.isStringLiteral(method.literal))
        throw new Error(`not a method key: ${request.getText()}`);
      const list = typeName.getText().replace(/\$\d+$/, "");
      expect(["Binding", "Relation"]).toContain(list);
      return `${list}<${method.literal.text}>`;
    }
  }
  throw new Error(`unexpected type ${ts.SyntaxKind[node.kind]}: ${node.getText()}`);
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

export function parse(name: string, text: string): ts.SourceFile {
  const source = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diagnostics = (source as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
  return source;
}

/** The header must be exactly three comment lines, whatever the input. */
export function expectHeader(text: string): void {
  const [by, from, eslint] = text.split("\n");
  expect(by).toMatch(/^\/\/ @generated by protoc-gen-authz v/);
  expect(from).toMatch(/^\/\/ @generated /);
  expect(eslint).toBe("/* eslint-disable */");
  for (const line of [by, from]) expect(line).not.toMatch(/[\u2028\u2029\r]/);
}

/**
 * Every import comes first; then per service its rules type
 * `export type XRules = {…}` and its table
 * `export const XAuthz: ServiceAuthz<typeof X, XRules> = defineServiceAuthz(X, {…} as const satisfies …)`.
 */
export function checkTableFile(c: Case, text: string): void {
  expectHeader(text);
  const source = parse("table.ts", text);
  const statements = [...source.statements];
  const imports = statements.filter(ts.isImportDeclaration);
  expect(statements.slice(0, imports.length)).toEqual(imports);
  const rest = statements.slice(imports.length);
  expect(rest).toHaveLength(2 * c.services.length);
  let calls = 0;
  const countCalls = (n: ts.Node) => {
    if (ts.isCallExpression(n) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n) || ts.isDecorator(n)) calls++;
    n.forEachChild(countCalls);
  };
  source.forEachChild(countCalls);
  expect(calls).toBe(c.services.length);
  for (const [i, service] of c.services.entries()) {
    const rulesType = rest[2 * i];
    const statement = rest[2 * i + 1];
    if (rulesType === undefined || !ts.isTypeAliasDeclaration(rulesType)) throw new Error(`statement ${2 * i} is not a rules type`);
    if (statement === undefined || !ts.isVariableStatement(statement)) throw new Error(`statement ${2 * i + 1} is not a table`);
    expect(rulesType.modifiers?.map((m) => m.kind)).toEqual([ts.SyntaxKind.ExportKeyword]);
    expect(rulesType.name.text).toBe(`${service.name}Rules`);
    expect(rulesType.typeParameters).toBeUndefined();
    expect(statement.modifiers?.map((m) => m.kind)).toEqual([ts.SyntaxKind.ExportKeyword]);
    const [declaration, ...more] = statement.declarationList.declarations;
    expect(more).toEqual([]);
    expect(declaration?.name.getText()).toBe(`${service.name}Authz`);
    const call = declaration?.initializer;
    if (call === undefined || !ts.isCallExpression(call)) throw new Error("table is not a call");
    expect(call.expression.getText()).toMatch(/^defineServiceAuthz(\$\d+)?$/);
    expect(call.typeArguments).toBeUndefined();
    const [descriptor, rules, ...extra] = call.arguments;
    expect(extra).toEqual([]);
    if (descriptor === undefined || !ts.isIdentifier(descriptor)) throw new Error("descriptor is not an identifier");
    // The table's type: ServiceAuthz<typeof <descriptor>, <its rules type>>.
    const annotation = declaration?.type;
    if (annotation === undefined || !ts.isTypeReferenceNode(annotation)) throw new Error("table has no type");
    expect(annotation.typeName.getText()).toMatch(/^ServiceAuthz(\$\d+)?$/);
    const [ofService, ofRules, ...extraTypes] = annotation.typeArguments ?? [];
    expect(extraTypes).toEqual([]);
    expect(ofService && ts.isTypeQueryNode(ofService) && ofService.exprName.getText()).toBe(descriptor.text);
    expect(ofRules && ts.isTypeReferenceNode(ofRules) && ofRules.typeArguments === undefined && ofRules.typeName.getText()).toBe(
      `${service.name}Rules`,
    );
    expect(evaluateType(rulesType.type, descriptor.text)).toEqual(expectedRulesType(service));
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
  // Type-only imports vanish in transpilation; the rest become parameters.
  const imported = source.statements.filter(ts.isImportDeclaration).flatMap((d) => {
    const bindings = d.importClause?.namedBindings;
    if (d.importClause?.isTypeOnly || bindings === undefined || !ts.isNamedImports(bindings)) return [];
    return bindings.elements.map((e) => e.name.text);
  });
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
export function checkRegistry(text: string): void {
  expectHeader(text);
  const source = parse("registry.ts", text);
  const declared = source.statements
    .filter((s) => !ts.isImportDeclaration(s))
    .map((s) =>
      ts.isVariableStatement(s)
        ? s.declarationList.declarations.map((d) => d.name.getText()).join()
        : (ts.isFunctionDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) && s.name
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
    "AuthzGuard",
    "createAuthzGuard",
    "principalOf",
    "defineServiceAuthz",
  ]);
}

/** The report's rows: one per RPC, with the access the table holds. */
export function checkReport(c: Case, text: string): void {
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
