import type { Node as MorphNode } from "ts-morph";

/** What checkProject already knows how to read, handed to the Connect-options judge. */
export interface WiringContext {
  readonly Node: typeof import("ts-morph").Node;
  /** The literal an expression holds, through variables and `as` (bounded). */
  literalOf(node: MorphNode | undefined): MorphNode | undefined;
  /** Whether an interceptor list holds the guard. */
  holdsGuard(list: MorphNode | undefined): boolean;
  /** Whether a node names `name` exported by protoauthz. */
  isProtoauthz(node: MorphNode, name: string): boolean;
}

/** How a Connect server's options wire the guard. */
export type ConnectWiring = "guarded" | "unguarded" | "no raw headers";

const depthLimit = 16;

/**
 * Judges a Connect server's options object (connectNodeAdapter,
 * expressConnectMiddleware, fastifyConnectPlugin) property by property, in
 * order, as the spread semantics apply them: the guard must be among the
 * interceptors, and contextValues must record the raw header list
 * (guardContextValues, or `...guard.connectOptions` which brings both), or a
 * second Authorization header is read as the first one.
 */
export function judgeConnectOptions(context: WiringContext, options: MorphNode | undefined, depth = 0): ConnectWiring {
  const state = { guard: false, raw: false };
  apply(context, options, state, depth);
  if (!state.guard) return "unguarded";
  return state.raw ? "guarded" : "no raw headers";
}

function apply(context: WiringContext, options: MorphNode | undefined, state: { guard: boolean; raw: boolean }, depth: number): void {
  const { Node } = context;
  const literal = context.literalOf(options);
  if (literal === undefined || depth > depthLimit || !Node.isObjectLiteralExpression(literal)) return;
  for (const property of literal.getProperties()) {
    if (Node.isSpreadAssignment(property)) {
      const spread = property.getExpression();
      if (isGuardOptions(context, spread, depth + 1)) {
        state.guard = true;
        state.raw = true;
      } else apply(context, spread, state, depth + 1);
      continue;
    }
    const name = Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property) ? property.getName() : undefined;
    const value = assignedValue(context, property);
    if (name === "interceptors") state.guard = value !== undefined && (context.holdsGuard(value) || isGuardOptionsMember(context, value));
    if (name === "contextValues") state.raw = value !== undefined && recordsRawHeaders(context, value, depth + 1);
  }
}

/** The initializer of `name: value`, or the declaration a shorthand `name` stands for. */
function assignedValue(context: WiringContext, property: MorphNode): MorphNode | undefined {
  const { Node } = context;
  if (Node.isPropertyAssignment(property)) return property.getInitializer();
  if (Node.isShorthandPropertyAssignment(property)) {
    const declaration = property.getValueSymbol()?.getDeclarations()[0];
    if (declaration === undefined) return undefined;
    return Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : declaration;
  }
  return undefined;
}

/** `guard.connectOptions` of a generated registry, or `connectServerOptions(…)` from protoauthz/connect. */
function isGuardOptions(context: WiringContext, node: MorphNode, depth: number): boolean {
  const { Node } = context;
  if (depth > depthLimit) return false;
  if (Node.isPropertyAccessExpression(node) && node.getName() === "connectOptions") {
    return node.getExpression().getType().getProperty("guard") !== undefined;
  }
  if (Node.isCallExpression(node)) return context.isProtoauthz(node.getExpression(), "connectServerOptions");
  const literal = context.literalOf(node);
  return literal !== undefined && literal !== node && isGuardOptions(context, literal, depth + 1);
}

/** `guard.connectOptions.interceptors` / `.contextValues`: a member of the guard's options. */
export function isGuardOptionsMember(context: WiringContext, node: MorphNode, depth = 0): boolean {
  const { Node } = context;
  return Node.isPropertyAccessExpression(node) && isGuardOptions(context, node.getExpression(), depth + 1);
}

/**
 * guardContextValues itself (or its old name), the guard options' member, or
 * a function of yours that calls one of them.
 */
function recordsRawHeaders(context: WiringContext, node: MorphNode, depth: number): boolean {
  const { Node } = context;
  if (depth > depthLimit) return false;
  if (context.isProtoauthz(node, "guardContextValues") || context.isProtoauthz(node, "tlsPeerContextValues")) return true;
  if (isGuardOptionsMember(context, node, depth)) return true;
  if (Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isFunctionDeclaration(node)) {
    return node.getDescendants().some((d) => Node.isCallExpression(d) && recordsRawHeaders(context, d.getExpression(), depth + 1));
  }
  // const { contextValues } = guard.connectOptions
  if (Node.isBindingElement(node)) {
    const declaration = node.getParent().getParent();
    const key = node.getPropertyNameNode()?.getText() ?? node.getName();
    const from = Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
    return key === "contextValues" && from !== undefined && isGuardOptions(context, from, depth + 1);
  }
  const literal = context.literalOf(node);
  if (literal !== undefined && literal !== node) return recordsRawHeaders(context, literal, depth + 1);
  if (Node.isIdentifier(node)) {
    const declaration = node.getSymbol()?.getDeclarations()[0];
    return declaration !== undefined && Node.isFunctionDeclaration(declaration) && recordsRawHeaders(context, declaration, depth + 1);
  }
  return false;
}
