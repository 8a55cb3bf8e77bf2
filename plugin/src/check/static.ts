import { relative } from "node:path";
import type { CallExpression, Expression, Node as MorphNode, Project as MorphProject, NewExpression } from "ts-morph";
import { type ConnectWiring, judgeConnectOptions } from "./connect-wiring.js";
import { InputError } from "./image.js";
import { repositoryRoot } from "./paths.js";
import { fromModule, guarded, isProtoauthz, literalOf, type Symbols, serviceName, wiringOf } from "./project-symbols.js";

/** A place in the TypeScript project that serves something unguarded. */
export interface StaticFinding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

type Morph = typeof import("ts-morph");

/** What one project check shares: the ts-morph helpers, where paths are relative to, the findings so far, the covered services. */
interface Scan extends Symbols {
  readonly root: string;
  readonly findings: StaticFinding[];
  /** Services some table covers, "pkg.Service". */
  readonly tables: Set<string>;
}

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
  const morph = await loadMorph();
  let project: MorphProject;
  try {
    project = new morph.Project({ tsConfigFilePath: tsconfig });
  } catch (error) {
    throw new InputError(`${tsconfig}: cannot load the TypeScript project (${(error as Error).message})`);
  }
  const scan: Scan = { Node: morph.Node, SyntaxKind: morph.SyntaxKind, root: repositoryRoot(), findings: [], tables: new Set(covered) };
  const calls = project.getSourceFiles().flatMap((f) => f.getDescendantsOfKind(morph.SyntaxKind.CallExpression));
  // Tables first: a registration anywhere is judged against every table in the project.
  for (const call of calls) addTable(scan, call);
  for (const call of calls) {
    judgeConnectServer(scan, call);
    judgeRegistration(scan, call);
  }
  for (const created of project.getSourceFiles().flatMap((f) => f.getDescendantsOfKind(morph.SyntaxKind.NewExpression))) {
    judgeGrpcServer(scan, created);
  }
  return scan.findings.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

async function loadMorph(): Promise<Morph> {
  try {
    return await import("ts-morph");
  } catch {
    throw new InputError("--project needs ts-morph: npm install --save-dev ts-morph");
  }
}

/** A finding at `node`, unless a reviewed `protoauthz-unguarded` comment sits above it. */
function report(scan: Scan, node: MorphNode, message: string): void {
  const file = node.getSourceFile();
  const { line, column } = file.getLineAndColumnAtPos(node.getStart());
  const suppression = suppressionAbove(file.getFullText(), line);
  if (suppression === "reviewed") return;
  const said = suppression === "no reason" ? `${message}; the protoauthz-unguarded comment above needs a reason after the colon` : message;
  scan.findings.push({ file: relative(scan.root, file.getFilePath()), line, column, message: said });
}

/** Every defineServiceAuthz(Service, …) in the project is a table covering Service. */
function addTable(scan: Scan, call: CallExpression): void {
  if (!isProtoauthz(call.getExpression(), "defineServiceAuthz")) return;
  const [service] = call.getArguments();
  const name = service && serviceName(scan, service);
  if (name !== undefined) scan.tables.add(name);
}

/** connectNodeAdapter(options), expressConnectMiddleware(options), fastify.register(fastifyConnectPlugin, options). */
function judgeConnectServer(scan: Scan, call: CallExpression): void {
  const judge = (server: string, options: MorphNode | undefined) => {
    const problem = connectProblem[judgeConnectOptions(wiringOf(scan), options)];
    if (problem !== undefined) report(scan, call, `${server} ${problem}`);
  };
  for (const [factory, module] of Object.entries(connectServers)) {
    if (factory !== "fastifyConnectPlugin" && fromModule(call.getExpression(), factory, module))
      judge(`${factory}()`, call.getArguments()[0]);
  }
  const [plugin, pluginOptions] = call.getArguments();
  if (plugin && fromModule(plugin, "fastifyConnectPlugin", connectServers.fastifyConnectPlugin ?? "")) {
    judge("fastifyConnectPlugin registered", pluginOptions);
  }
}

function judgeGrpcServer(scan: Scan, created: NewExpression): void {
  if (fromModule(created.getExpression(), "Server", "@grpc/grpc-js") && !guarded(scan, created.getArguments()[0], "grpc")) {
    report(scan, created, "new grpc.Server() without the protoauthz guard (add interceptors: [guard.grpc])");
  }
}

/** router.service(S, …), router.rpc(S.method.x, …), server.addService(grpcServiceDefinition(S), …): S must have a table. */
function judgeRegistration(scan: Scan, call: CallExpression): void {
  const { Node } = scan;
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return;
  const method = callee.getName();
  const receiver = callee.getExpression().getType();
  const [first] = call.getArguments() as Expression[];
  if (first === undefined) return;
  const isRouter = ["service", "rpc", "handlers"].every((p) => receiver.getProperty(p) !== undefined);
  let service: MorphNode | undefined;
  if (isRouter && method === "service") service = first;
  else if (isRouter && method === "rpc") {
    // router.rpc(Service.method.name, impl)
    const methodsOf = Node.isPropertyAccessExpression(first) ? first.getExpression() : undefined;
    service = methodsOf && Node.isPropertyAccessExpression(methodsOf) ? methodsOf.getExpression() : undefined;
  } else if (method === "addService" && receiver.getSymbol()?.getName() === "Server") {
    const definition = literalOf(scan, first);
    if (
      definition === undefined ||
      !Node.isCallExpression(definition) ||
      !isProtoauthz(definition.getExpression(), "grpcServiceDefinition")
    ) {
      report(scan, call, "addService() with a definition not built by grpcServiceDefinition(): no table can be matched to it");
      return;
    }
    service = definition.getArguments()[0];
  } else return;
  const name = service && serviceName(scan, service);
  if (name === undefined) report(scan, call, `${method}() of a service protoauthz cannot identify`);
  else if (!scan.tables.has(name))
    report(
      scan,
      call,
      `${method}() registers ${name}, which no protoauthz table covers (generate it, or defineServiceAuthz for a service you do not own)`,
    );
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
