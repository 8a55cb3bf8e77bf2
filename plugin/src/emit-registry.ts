import type { GeneratedFile, Printable, Schema } from "@bufbuild/protoplugin";
import { tableModule, tableName } from "./emit-table.js";
import { jsDoc, stringLiteral } from "./escape.js";
import type { ServiceModel } from "./model.js";
import type { Adapter, AuthzOptions } from "./options.js";

/** What the parts of the registry module share: its file, the options, and the protoauthz symbols it names. */
interface Registry {
  readonly f: GeneratedFile;
  readonly options: AuthzOptions;
  readonly ServiceAuthz: Printable;
}

/**
 * Emits the registry module: every table of the generation, the vocabulary
 * types, and `createAuthzGuard`, so a server wires all rules in one call.
 * Every export has its type written out (isolatedDeclarations), so the
 * declaration files of target=js+dts keep exactly these types.
 */
export function emitRegistry(schema: Schema<AuthzOptions>, services: readonly ServiceModel[]): void {
  const f = schema.generateFile(`${schema.options.registry}.ts`);
  const registry: Registry = { f, options: schema.options, ServiceAuthz: f.import("ServiceAuthz", "protoauthz", true) };
  emitTableList(registry, services);
  emitVocabulary(registry);
  emitCreateAuthzGuard(registry);
  emitPrincipalOf(registry);
  emitDefineServiceAuthz(registry);
}

function emitTableList({ f }: Registry, services: readonly ServiceModel[]): void {
  const tables = services.map(({ service }) => f.import(tableName(service), `./${tableModule(service.file)}.js`));
  f.print(jsDoc("Every service table of this generation, in a stable order."));
  f.print`${f.export("const", "authzTables")}: readonly [`;
  for (const table of tables) f.print`  typeof ${table},`;
  f.print("] = [");
  for (const table of tables) f.print`  ${table},`;
  f.print("];");
  f.print();
}

/** Each vocabulary dimension: its type's name, its option, and how its doc comment names it. */
const dimensions = [
  {
    type: "PrincipalKind",
    option: "principals",
    closed: "Principal kinds, as declared by the `principals` option.",
    open: "Principal kinds: open (declare the `principals` option to close them).",
  },
  {
    type: "Role",
    option: "roles",
    closed: "Roles, as declared by the `roles` option.",
    open: "Roles: open (declare the `roles` option to close them).",
  },
  {
    type: "Scope",
    option: "scopes",
    closed: "Scopes, as declared by the `scopes` option.",
    open: "Scopes: open (declare the `scopes` option to close them).",
  },
  {
    type: "ResourceType",
    option: "resources",
    closed: "Resource types relations may name, as declared by the `resources` option.",
    open: "Resource types: open (declare the `resources` option to close them).",
  },
  {
    type: "Permission",
    option: "permissions",
    closed: "Permissions relations may ask for, as declared by the `permissions` option.",
    open: "Permissions: open (declare the `permissions` option to close them).",
  },
] as const;

/** The vocabulary's types (a union of literals, or `string` when open), the principal type, and the declared lists. */
function emitVocabulary({ f, options }: Registry): void {
  for (const { type, option, closed, open } of dimensions) {
    const names = options[option];
    f.print(jsDoc(names ? closed : open));
    f.print`${f.export("type", type)} = ${names === undefined ? "string" : names.map(stringLiteral).join(" | ")};`;
  }
  f.print(jsDoc("The principal your authenticate function must return."));
  f.print`${f.export("type", "AuthzPrincipal")} = ${f.import("Principal", "protoauthz", true)}<PrincipalKind, Role, Scope>;`;
  f.print();
  f.print(jsDoc("The declared vocabulary; the guard checks rules written in code against it too."));
  f.print`${f.export("const", "authzVocabulary")} = {`;
  // The registry lists roles before scopes, as it always has.
  for (const key of ["principals", "roles", "scopes", "resources", "permissions"] as const) {
    const names = options[key];
    if (names !== undefined) f.print`  ${key}: [${names.map(stringLiteral).join(", ")}],`;
  }
  f.print("} as const;");
  f.print();
}

/** Each adapter's interceptor: its key on AuthzGuard, factory, type, and its doc comment. */
const adapters: Record<Adapter, { key: string; factory: string; from: string; type: string; typeFrom: string; installOn: string }> = {
  connect: {
    key: "connect",
    factory: "createConnectInterceptor",
    from: "protoauthz/connect",
    type: "Interceptor",
    typeFrom: "@connectrpc/connect",
    installOn: "The guard's Connect interceptor alone, for createRouterTransport in tests; servers take connectOptions.",
  },
  "grpc-js": {
    key: "grpc",
    factory: "createGrpcInterceptor",
    from: "protoauthz/grpc-js",
    type: "ServerInterceptor",
    typeFrom: "@grpc/grpc-js",
    installOn: "Install it on your grpc-js server (new Server({ interceptors: [guard.grpc] })).",
  },
};

/** `AuthzGuard` and `createAuthzGuard`: the guard over every table, and its interceptor per adapter. */
function emitCreateAuthzGuard({ f, options, ServiceAuthz }: Registry): void {
  // connect before grpc-js, whatever order the option lists them in.
  const wired = (["connect", "grpc-js"] as const).filter((a) => options.adapters.includes(a)).map((a) => adapters[a]);
  f.print(jsDoc("What createAuthzGuard returns: the guard, and its interceptor for each adapter of this generation."));
  f.print`${f.export("interface", "AuthzGuard")} {`;
  f.print`  readonly guard: ${f.import("Guard", "protoauthz", true)}<AuthzPrincipal>;`;
  // A Connect server also needs the raw header list: one object to spread carries both.
  const connect = options.adapters.includes("connect");
  if (connect) {
    f.print(jsDoc(connectOptionsDoc, "  "));
    f.print`  readonly connectOptions: ${f.import("ConnectServerOptions", "protoauthz/connect", true)};`;
  }
  for (const a of wired) {
    f.print(jsDoc(a.installOn, "  "));
    f.print`  readonly ${a.key}: ${f.import(a.type, a.typeFrom, true)};`;
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
  const GuardOptions = f.import("GuardOptions", "protoauthz", true);
  f.print`${f.export("function", "createAuthzGuard")}(options: ${GuardOptions}<AuthzPrincipal>, ...extraTables: readonly ${ServiceAuthz}[]): AuthzGuard {`;
  const createGuard = f.import("createGuard", "protoauthz");
  f.print`  const guard = ${createGuard}<AuthzPrincipal>([...authzTables, ...extraTables], { vocabulary: authzVocabulary, ...options });`;
  for (const a of wired) f.print`  const ${a.key} = ${f.import(a.factory, a.from)}(guard);`;
  f.print("  return {");
  f.print("    guard,");
  if (connect) f.print`    connectOptions: ${f.import("connectServerOptions", "protoauthz/connect")}(connect),`;
  for (const a of wired) f.print`    ${a.key},`;
  f.print("  };");
  f.print("}");
  f.print();
}

const connectOptionsDoc = [
  "Spread into your Connect server's options: connectNodeAdapter({ routes, ...guard.connectOptions }),",
  "expressConnectMiddleware and fastifyConnectPlugin alike. Installs the guard and hands it the raw",
  "header list (a repeated Authorization header is refused) and the TLS peer (for mTLS).",
].join("\n");

/** `principalOf`, typed from the method's rule and this generation's principal. */
function emitPrincipalOf({ f, ServiceAuthz }: Registry): void {
  f.print(
    jsDoc(
      [
        "The principal of the call being handled, typed from the method's rule:",
        '`principalOf(ctx, SandboxServiceAuthz, "getPolicy")` in a Connect handler,',
        "`principalOf(call, …)` in a grpc-js one. Throws if no guard admitted the call.",
      ].join("\n"),
    ),
  );
  const CallHandle = f.import("CallHandle", "protoauthz", true);
  const PrincipalFor = f.import("PrincipalFor", "protoauthz", true);
  f.print`${f.export("function", "principalOf")}<T extends ${ServiceAuthz}, K extends keyof T["rules"] & string>(call: ${CallHandle}, table: T, method: K): ${PrincipalFor}<T["rules"][K], AuthzPrincipal> {`;
  f.print`  return ${f.import("principalOf", "protoauthz")}<AuthzPrincipal, T, K>(call, table, method);`;
  f.print("}");
  f.print();
}

/** `defineServiceAuthz`, closed over this generation's vocabulary. */
function emitDefineServiceAuthz({ f, ServiceAuthz }: Registry): void {
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
  const DescService = f.import("DescService", "@bufbuild/protobuf", true);
  const ServiceRules = f.import("ServiceRules", "protoauthz", true);
  f.print`${f.export("function", "defineServiceAuthz")}<S extends ${DescService}, const R extends ${ServiceRules}<S, PrincipalKind, Role, Scope, ResourceType, Permission>>(service: S, rules: R): ${ServiceAuthz}<S, R> {`;
  f.print`  return ${f.import("defineServiceAuthz", "protoauthz")}(service, rules);`;
  f.print("}");
}
