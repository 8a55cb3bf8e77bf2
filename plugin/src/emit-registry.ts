import type { Schema } from "@bufbuild/protoplugin";
import type { ServiceModel } from "./collect.js";
import { tableModule, tableName } from "./emit-table.js";
import { jsDoc, stringLiteral } from "./escape.js";
import type { AuthzOptions } from "./options.js";

/**
 * Emits the registry module: every table of the generation, the vocabulary
 * types, and `createAuthzGuard`, so a server wires all rules in one call.
 */
export function emitRegistry(schema: Schema<AuthzOptions>, services: readonly ServiceModel[]): void {
  const { options } = schema;
  const f = schema.generateFile(`${options.registry}.ts`);
  const createGuard = f.import("createGuard", "protoauthz");
  const GuardOptions = f.import("GuardOptions", "protoauthz", true);
  const Principal = f.import("Principal", "protoauthz", true);
  const ServiceAuthz = f.import("ServiceAuthz", "protoauthz", true);
  const CallHandle = f.import("CallHandle", "protoauthz", true);
  const PrincipalFor = f.import("PrincipalFor", "protoauthz", true);
  const Guard = f.import("Guard", "protoauthz", true);
  const ServiceRules = f.import("ServiceRules", "protoauthz", true);
  const DescService = f.import("DescService", "@bufbuild/protobuf", true);
  const principalOfCall = f.import("principalOf", "protoauthz");
  const defineServiceAuthzCall = f.import("defineServiceAuthz", "protoauthz");
  const tables = services.map(({ service }) => f.import(tableName(service), `./${tableModule(service.file)}.js`));

  // Every export has its type written out (isolatedDeclarations), so the
  // declaration files of target=js+dts keep exactly these types.
  f.print(jsDoc("Every service table of this generation, in a stable order."));
  f.print(f.export("const", "authzTables"), ": readonly [");
  for (const table of tables) f.print("  typeof ", table, ",");
  f.print("] = [");
  for (const table of tables) f.print("  ", table, ",");
  f.print("];");
  f.print();

  const vocabulary = {
    principals: options.principals,
    roles: options.roles,
    scopes: options.scopes,
    resources: options.resources,
    permissions: options.permissions,
  };
  const union = (names: readonly string[] | undefined) => (names === undefined ? "string" : names.map(stringLiteral).join(" | "));
  f.print(
    jsDoc(
      options.principals
        ? "Principal kinds, as declared by the `principals` option."
        : "Principal kinds: open (declare the `principals` option to close them).",
    ),
  );
  f.print(f.export("type", "PrincipalKind"), " = ", union(options.principals), ";");
  f.print(jsDoc(options.roles ? "Roles, as declared by the `roles` option." : "Roles: open (declare the `roles` option to close them)."));
  f.print(f.export("type", "Role"), " = ", union(options.roles), ";");
  f.print(
    jsDoc(options.scopes ? "Scopes, as declared by the `scopes` option." : "Scopes: open (declare the `scopes` option to close them)."),
  );
  f.print(f.export("type", "Scope"), " = ", union(options.scopes), ";");
  f.print(
    jsDoc(
      options.resources
        ? "Resource types relations may name, as declared by the `resources` option."
        : "Resource types: open (declare the `resources` option to close them).",
    ),
  );
  f.print(f.export("type", "ResourceType"), " = ", union(options.resources), ";");
  f.print(
    jsDoc(
      options.permissions
        ? "Permissions relations may ask for, as declared by the `permissions` option."
        : "Permissions: open (declare the `permissions` option to close them).",
    ),
  );
  f.print(f.export("type", "Permission"), " = ", union(options.permissions), ";");
  f.print(jsDoc("The principal your authenticate function must return."));
  f.print(f.export("type", "AuthzPrincipal"), " = ", Principal, "<PrincipalKind, Role, Scope>;");
  f.print();
  f.print(jsDoc("The declared vocabulary; the guard checks rules written in code against it too."));
  f.print(f.export("const", "authzVocabulary"), " = {");
  for (const [key, names] of Object.entries(vocabulary)) {
    if (names !== undefined) f.print("  ", key, ": [", names.map(stringLiteral).join(", "), "],");
  }
  f.print("} as const;");
  f.print();

  const adapters: { key: string; factory: string; from: string; type: string; typeFrom: string }[] = [];
  if (options.adapters.includes("connect"))
    adapters.push({
      key: "connect",
      factory: "createConnectInterceptor",
      from: "protoauthz/connect",
      type: "Interceptor",
      typeFrom: "@connectrpc/connect",
    });
  if (options.adapters.includes("grpc-js"))
    adapters.push({
      key: "grpc",
      factory: "createGrpcInterceptor",
      from: "protoauthz/grpc-js",
      type: "ServerInterceptor",
      typeFrom: "@grpc/grpc-js",
    });
  const factories = adapters.map((a) => ({ ...a, symbol: f.import(a.factory, a.from), typeSymbol: f.import(a.type, a.typeFrom, true) }));

  // A Connect server also needs the raw header list: one object to spread carries both.
  const connectOptions = options.adapters.includes("connect")
    ? {
        factory: f.import("connectServerOptions", "protoauthz/connect"),
        type: f.import("ConnectServerOptions", "protoauthz/connect", true),
      }
    : undefined;

  f.print(jsDoc("What createAuthzGuard returns: the guard, and its interceptor for each adapter of this generation."));
  f.print(f.export("interface", "AuthzGuard"), " {");
  f.print("  readonly guard: ", Guard, "<AuthzPrincipal>;");
  if (connectOptions !== undefined) {
    f.print(jsDoc(connectOptionsDoc, "  "));
    f.print("  readonly connectOptions: ", connectOptions.type, ";");
  }
  for (const a of factories) {
    f.print(jsDoc(installOn[a.key] ?? "", "  "));
    f.print("  readonly ", a.key, ": ", a.typeSymbol, ";");
  }
  f.print("}");
  f.print();
  f.print(
    jsDoc(
      [
        "Creates the guard for every table of this generation, plus tables written",
        "in code for services you serve but do not own (e.g. grpc.health.v1.Health;",
        "declare those with defineServiceAuthz below). Throws AuthzConfigError when",
        "any table is invalid.",
      ].join("\n"),
    ),
  );
  f.print(
    f.export("function", "createAuthzGuard"),
    "(options: ",
    GuardOptions,
    "<AuthzPrincipal>, ...extraTables: readonly ",
    ServiceAuthz,
    "[]): AuthzGuard {",
  );
  f.print(
    "  const guard = ",
    createGuard,
    "<AuthzPrincipal>([...authzTables, ...extraTables], { vocabulary: authzVocabulary, ...options });",
  );
  for (const a of factories) f.print("  const ", a.key, " = ", a.symbol, "(guard);");
  f.print("  return {");
  f.print("    guard,");
  if (connectOptions !== undefined) f.print("    connectOptions: ", connectOptions.factory, "(connect),");
  for (const a of factories) f.print("    ", a.key, ",");
  f.print("  };");
  f.print("}");
  f.print();
  f.print(
    jsDoc(
      [
        "The principal of the call being handled, typed from the method's rule:",
        '`principalOf(ctx, SandboxServiceAuthz, "getPolicy")` in a Connect handler,',
        "`principalOf(call, …)` in a grpc-js one. Throws if no guard admitted the call.",
      ].join("\n"),
    ),
  );
  f.print(
    f.export("function", "principalOf"),
    "<T extends ",
    ServiceAuthz,
    ', K extends keyof T["rules"] & string>(call: ',
    CallHandle,
    ", table: T, method: K): ",
    PrincipalFor,
    '<T["rules"][K], AuthzPrincipal> {',
  );
  f.print("  return ", principalOfCall, "<AuthzPrincipal, T, K>(call, table, method);");
  f.print("}");
  f.print();
  f.print(
    jsDoc(
      [
        "Rules written in code for a service you serve but do not own (health,",
        "reflection), typed with this generation's vocabulary: a principal kind,",
        "role, scope, resource type or permission outside it, or a missing method,",
        "does not compile. Pass the table to createAuthzGuard.",
      ].join("\n"),
    ),
  );
  f.print(
    f.export("function", "defineServiceAuthz"),
    "<S extends ",
    DescService,
    ", const R extends ",
    ServiceRules,
    "<S, PrincipalKind, Role, Scope, ResourceType, Permission>>(service: S, rules: R): ",
    ServiceAuthz,
    "<S, R> {",
  );
  f.print("  return ", defineServiceAuthzCall, "(service, rules);");
  f.print("}");
}

const connectOptionsDoc = [
  "Spread into your Connect server's options: connectNodeAdapter({ routes, ...guard.connectOptions }),",
  "expressConnectMiddleware and fastifyConnectPlugin alike. Installs the guard and hands it the raw",
  "header list (a repeated Authorization header is refused) and the TLS peer (for mTLS).",
].join("\n");

/** Where each adapter's interceptor goes. */
const installOn: Record<string, string> = {
  connect: "The guard's Connect interceptor alone, for createRouterTransport in tests; servers take connectOptions.",
  grpc: "Install it on your grpc-js server (new Server({ interceptors: [guard.grpc] })).",
};
