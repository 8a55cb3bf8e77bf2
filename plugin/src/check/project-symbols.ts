import type { Node as MorphNode } from "ts-morph";
import { isGuardOptionsMember, type WiringContext } from "./connect-wiring.js";

/** What the symbol helpers need from ts-morph, loaded on demand. */
export interface Symbols {
  readonly Node: typeof import("ts-morph").Node;
  readonly SyntaxKind: typeof import("ts-morph").SyntaxKind;
}

/** Nesting through variables, spreads and casts is followed this deep and no further. */
const maxDepth = 16;

/** The declaration an expression's symbol finally stands for, through aliases. */
export function declarationOf(node: MorphNode): MorphNode | undefined {
  let symbol = node.getSymbol();
  if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
  return symbol?.getDeclarations()[0];
}

const nameOf = (declaration: MorphNode | undefined) => (declaration as { getName?: () => string } | undefined)?.getName?.();

/** Whether a node names `name` exported by `module`. */
export function fromModule(node: MorphNode, name: string, module: string): boolean {
  const declaration = declarationOf(node);
  const path = declaration?.getSourceFile().getFilePath() ?? "";
  return declaration !== undefined && nameOf(declaration) === name && path.includes(module);
}

/** Whether a node names `name` exported by protoauthz. */
export function isProtoauthz(node: MorphNode, name: string): boolean {
  const declaration = declarationOf(node);
  const path = declaration?.getSourceFile().getFilePath() ?? "";
  return nameOf(declaration) === name && /protoauthz|runtime\/(src|dist)/.test(path);
}

/** "pkg.Service" for an expression naming a generated service descriptor. */
export function serviceName({ SyntaxKind }: Symbols, expression: MorphNode): string | undefined {
  const declaration = declarationOf(expression);
  if (declaration === undefined) return undefined;
  const statement = declaration.getFirstAncestorByKind(SyntaxKind.VariableStatement) ?? declaration;
  const match = /@generated from service ([\w.]+)/.exec(statement.getFullText());
  return match?.[1] ?? nameOf(declaration);
}

/** The literal an expression holds: through variables, `as`, `satisfies` and parentheses (bounded). */
export function literalOf(symbols: Symbols, node: MorphNode | undefined, depth = 0): MorphNode | undefined {
  const { Node } = symbols;
  if (node === undefined || depth > maxDepth) return undefined;
  if (Node.isAsExpression(node) || Node.isSatisfiesExpression(node) || Node.isParenthesizedExpression(node))
    return literalOf(symbols, node.getExpression(), depth + 1);
  if (!Node.isIdentifier(node)) return node;
  const declaration = declarationOf(node);
  return declaration && Node.isVariableDeclaration(declaration) ? literalOf(symbols, declaration.getInitializer(), depth + 1) : undefined;
}

/** An interceptor expression that is the protoauthz guard. */
function isGuard(symbols: Symbols, element: MorphNode, adapter: "connect" | "grpc"): boolean {
  const { Node } = symbols;
  if (Node.isIdentifier(element)) {
    const declaration = declarationOf(element);
    const initializer = declaration && Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
    return initializer !== undefined && isGuard(symbols, initializer, adapter);
  }
  if (Node.isPropertyAccessExpression(element) && element.getName() === adapter) {
    return element.getExpression().getType().getProperty("guard") !== undefined;
  }
  if (Node.isCallExpression(element)) {
    return isProtoauthz(element.getExpression(), adapter === "connect" ? "createConnectInterceptor" : "createGrpcInterceptor");
  }
  return false;
}

/** Whether an interceptor list (literal, variable, spreads of either) holds the guard. */
export function holdsGuard(symbols: Symbols, list: MorphNode | undefined, adapter: "connect" | "grpc", depth = 0): boolean {
  const { Node } = symbols;
  const array = literalOf(symbols, list);
  if (adapter === "connect" && array !== undefined && isGuardOptionsMember(wiringOf(symbols), array)) return true;
  if (array === undefined || depth > maxDepth || !Node.isArrayLiteralExpression(array)) return false;
  return array
    .getElements()
    .some((e) => (Node.isSpreadElement(e) ? holdsGuard(symbols, e.getExpression(), adapter, depth + 1) : isGuard(symbols, e, adapter)));
}

/** Whether a server's options literal sets `interceptors` to a list holding the guard. */
export function guarded(symbols: Symbols, optionsArg: MorphNode | undefined, adapter: "connect" | "grpc"): boolean {
  const { Node } = symbols;
  const literal = literalOf(symbols, optionsArg);
  if (literal === undefined || !Node.isObjectLiteralExpression(literal)) return false;
  const property = literal.getProperty("interceptors");
  if (property !== undefined && Node.isPropertyAssignment(property)) return holdsGuard(symbols, property.getInitializer(), adapter);
  if (property !== undefined && Node.isShorthandPropertyAssignment(property)) {
    const declaration = property.getValueSymbol()?.getDeclarations()[0];
    return (
      declaration !== undefined && Node.isVariableDeclaration(declaration) && holdsGuard(symbols, declaration.getInitializer(), adapter)
    );
  }
  return false;
}

/** The helpers connect-wiring.ts judges a Connect server's options with. */
export function wiringOf(symbols: Symbols): WiringContext {
  return {
    Node: symbols.Node,
    literalOf: (node) => literalOf(symbols, node),
    holdsGuard: (list) => holdsGuard(symbols, list, "connect"),
    isProtoauthz,
  };
}
