import { relative } from "node:path";
import type { CallExpression, Expression, Node as MorphNode, Project as MorphProject, NewExpression } from "ts-morph";
import { type ConnectWiring, isGuardOptionsMember, judgeConnectOptions, type WiringContext } from "./connect-wiring.js";
import { InputError } from "./image.js";
import { repositoryRoot } from "./paths.js";

/** A place in the TypeScript project that serves something unguarded. */
export interface StaticFinding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

type Morph = typeof import("ts-morph");

/** Where a server is created, and the option that must carry the guard. */
const connectServers: Record<string, string> = {
  connectNodeAdapter: "@connectrpc/connect-node",
  expressConnectMiddleware: "@connectrpc/connect-express",
  fastifyConnectPlugin: "@connectrpc/connect-fastify",
};

/**
 * Reads a TypeScript project with the compiler's symbols (aliased imports and
 * renamed variables resolve to what they are) and reports Connect servers
 * and grpc-js servers created without the protoauthz guard, and services
 * registered that no table covers. `covered` adds services known from an
 * image to the tables found in the project.
 */
export async function checkProject(tsconfig: string, covered: ReadonlySet<string> = new Set()): Promise<StaticFinding[]> {
  let morph: Morph;
  try {
    morph = await import("ts-morph");
  } catch {
    throw new InputError("--project needs ts-morph: npm install --save-dev ts-morph");
  }
  let project: MorphProject;
  try {
    project = new morph.Project({ tsConfigFilePath: tsconfig });
  } catch (error) {
    throw new InputError(`${tsconfig}: cannot load the TypeScript project (${(error as Error).message})`);
  }
  const { SyntaxKind, Node } = morph;
  const findings: StaticFinding[] = [];
  const root = repositoryRoot();
  const report = (node: MorphNode, message: string) => {
    const file = node.getSourceFile();
    const { line, column } = file.getLineAndColumnAtPos(node.getStart());
    const path = relative(root, file.getFilePath());
    const suppression = suppressionAbove(file.getFullText(), line);
    if (suppression === "reviewed") return;
    if (suppression === "no reason") message = `${message}; the protoauthz-unguarded comment above needs a reason after the colon`;
    findings.push({ file: path, line, column, message });
  };

  /** The declaration an expression's symbol finally stands for, through aliases. */
  const declarationOf = (node: MorphNode) => {
    let symbol = node.getSymbol();
    if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
    return symbol?.getDeclarations()[0];
  };
  const fromModule = (node: MorphNode, name: string, module: string) => {
    const declaration = declarationOf(node);
    const path = declaration?.getSourceFile().getFilePath() ?? "";
    return declaration !== undefined && (declaration as { getName?: () => string }).getName?.() === name && path.includes(module);
  };
  const isProtoauthz = (node: MorphNode, name: string) => {
    const declaration = declarationOf(node);
    const path = declaration?.getSourceFile().getFilePath() ?? "";
    return (declaration as { getName?: () => string } | undefined)?.getName?.() === name && /protoauthz|runtime\/(src|dist)/.test(path);
  };
  /** "pkg.Service" for an expression naming a generated service descriptor. */
  const serviceName = (expression: MorphNode): string | undefined => {
    const declaration = declarationOf(expression);
    if (declaration === undefined) return undefined;
    const statement = declaration.getFirstAncestorByKind(SyntaxKind.VariableStatement) ?? declaration;
    const match = /@generated from service ([\w.]+)/.exec(statement.getFullText());
    return match?.[1] ?? (declaration as { getName?: () => string }).getName?.();
  };

  // Services some table covers: every defineServiceAuthz(Service, …) in the project.
  const tables = new Set(covered);
  const calls = project.getSourceFiles().flatMap((f) => f.getDescendantsOfKind(SyntaxKind.CallExpression));
  for (const call of calls) {
    if (isProtoauthz(call.getExpression(), "defineServiceAuthz")) {
      const name = call.getArguments()[0] && serviceName(call.getArguments()[0] as MorphNode);
      if (name !== undefined) tables.add(name);
    }
  }

  /** An interceptor expression that is the protoauthz guard. */
  const isGuard = (element: MorphNode, adapter: "connect" | "grpc"): boolean => {
    if (Node.isIdentifier(element)) {
      const declaration = declarationOf(element);
      const initializer = declaration && Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
      return initializer !== undefined && isGuard(initializer, adapter);
    }
    if (Node.isPropertyAccessExpression(element) && element.getName() === adapter) {
      return element.getExpression().getType().getProperty("guard") !== undefined;
    }
    if (Node.isCallExpression(element)) {
      return isProtoauthz(element.getExpression(), adapter === "connect" ? "createConnectInterceptor" : "createGrpcInterceptor");
    }
    return false;
  };
  /** The literal an expression holds: through variables, `as`, `satisfies` and parentheses (bounded). */
  const literalOf = (node: MorphNode | undefined, depth = 0): MorphNode | undefined => {
    if (node === undefined || depth > 16) return undefined;
    if (Node.isAsExpression(node) || Node.isSatisfiesExpression(node) || Node.isParenthesizedExpression(node))
      return literalOf(node.getExpression(), depth + 1);
    if (!Node.isIdentifier(node)) return node;
    const declaration = declarationOf(node);
    return declaration && Node.isVariableDeclaration(declaration) ? literalOf(declaration.getInitializer(), depth + 1) : undefined;
  };
  /** Whether an interceptor list (literal, variable, spreads of either) holds the guard. */
  const holdsGuard = (list: MorphNode | undefined, adapter: "connect" | "grpc", depth = 0): boolean => {
    const array = literalOf(list);
    if (adapter === "connect" && array !== undefined && isGuardOptionsMember(wiring, array)) return true;
    if (array === undefined || depth > 16 || !Node.isArrayLiteralExpression(array)) return false;
    return array
      .getElements()
      .some((e) => (Node.isSpreadElement(e) ? holdsGuard(e.getExpression(), adapter, depth + 1) : isGuard(e, adapter)));
  };
  const guarded = (optionsArg: MorphNode | undefined, adapter: "connect" | "grpc"): boolean => {
    const literal = literalOf(optionsArg);
    if (literal === undefined || !Node.isObjectLiteralExpression(literal)) return false;
    const property = literal.getProperty("interceptors");
    if (property !== undefined && Node.isPropertyAssignment(property)) return holdsGuard(property.getInitializer(), adapter);
    if (property !== undefined && Node.isShorthandPropertyAssignment(property)) {
      const declaration = property.getValueSymbol()?.getDeclarations()[0];
      return declaration !== undefined && Node.isVariableDeclaration(declaration) && holdsGuard(declaration.getInitializer(), adapter);
    }
    return false;
  };

  const wiring: WiringContext = {
    Node,
    literalOf: (node) => literalOf(node),
    holdsGuard: (list) => holdsGuard(list, "connect"),
    isProtoauthz,
  };
  const judgeConnect = (call: MorphNode, server: string, options: MorphNode | undefined) => {
    const problem = connectProblem[judgeConnectOptions(wiring, options)];
    if (problem !== undefined) report(call, `${server} ${problem}`);
  };
  for (const call of calls) {
    const callee = call.getExpression();
    for (const [factory, module] of Object.entries(connectServers)) {
      if (factory !== "fastifyConnectPlugin" && fromModule(callee, factory, module))
        judgeConnect(call, `${factory}()`, call.getArguments()[0]);
    }
    // fastify.register(fastifyConnectPlugin, { routes, ...guard.connectOptions })
    const [plugin, pluginOptions] = call.getArguments();
    if (plugin && fromModule(plugin, "fastifyConnectPlugin", connectServers.fastifyConnectPlugin ?? "")) {
      judgeConnect(call, "fastifyConnectPlugin registered", pluginOptions);
    }
    registration(call);
  }
  for (const created of project.getSourceFiles().flatMap((f) => f.getDescendantsOfKind(SyntaxKind.NewExpression))) {
    if (fromModule(created.getExpression(), "Server", "@grpc/grpc-js") && !guarded((created as NewExpression).getArguments()[0], "grpc")) {
      report(created, "new grpc.Server() without the protoauthz guard (add interceptors: [guard.grpc])");
    }
  }

  function registration(call: CallExpression) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return;
    const method = callee.getName();
    const receiver = callee.getExpression().getType();
    const [first] = call.getArguments() as Expression[];
    if (first === undefined) return;
    const isRouter =
      receiver.getProperty("service") !== undefined &&
      receiver.getProperty("rpc") !== undefined &&
      receiver.getProperty("handlers") !== undefined;
    let service: MorphNode | undefined;
    if (isRouter && method === "service") service = first;
    else if (isRouter && method === "rpc") {
      // router.rpc(Service.method.name, impl)
      const methodsOf = Node.isPropertyAccessExpression(first) ? first.getExpression() : undefined;
      service = methodsOf && Node.isPropertyAccessExpression(methodsOf) ? methodsOf.getExpression() : undefined;
    } else if (method === "addService" && receiver.getSymbol()?.getName() === "Server") {
      const definition = literalOf(first);
      if (
        definition !== undefined &&
        Node.isCallExpression(definition) &&
        isProtoauthz(definition.getExpression(), "grpcServiceDefinition")
      )
        service = definition.getArguments()[0];
      else return report(call, "addService() with a definition not built by grpcServiceDefinition(): no table can be matched to it");
    } else return;
    const name = service && serviceName(service);
    if (name === undefined) return report(call, `${method}() of a service protoauthz cannot identify`);
    if (!tables.has(name))
      report(
        call,
        `${method}() registers ${name}, which no protoauthz table covers (generate it, or defineServiceAuthz for a service you do not own)`,
      );
  }

  return findings.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

/** What a Connect server's options lack, as the finding says it. */
const connectProblem: Record<ConnectWiring, string | undefined> = {
  guarded: undefined,
  unguarded: "without the protoauthz guard (spread the guard's options: { routes, ...guard.connectOptions })",
  "no raw headers":
    "uses the protoauthz guard without the raw header list, so a request with two Authorization headers is read as the first one (spread { routes, ...guard.connectOptions }, or add contextValues: guardContextValues)",
};

/**
 * A reviewed exception on the line above a finding:
 * `// protoauthz-unguarded: <why this server needs no guard>`.
 */
function suppressionAbove(text: string, line: number): "reviewed" | "no reason" | undefined {
  const above = text.split("\n")[line - 2]?.trim() ?? "";
  const match = /^\/\/\s*protoauthz-unguarded(:\s*(.*))?$/.exec(above);
  if (match === null) return undefined;
  return (match[2] ?? "").trim() === "" ? "no reason" : "reviewed";
}
