/**
 * protoc-gen-authz's own options, in one table. The standard protoplugin
 * options (target, import_extension, rewrite_imports, …) are handled by
 * protoplugin before these are parsed.
 */
export interface AuthzOptions {
  /** Path of the registry module without extension; "" disables it. */
  readonly registry: string;
  /** Which adapters the registry's createAuthzGuard wires. */
  readonly adapters: readonly Adapter[];
  /** Closed vocabularies; undefined leaves a dimension open. */
  readonly principals: readonly string[] | undefined;
  readonly roles: readonly string[] | undefined;
  readonly scopes: readonly string[] | undefined;
  /** "error" fails generation on an RPC without a rule; "deny" generates it as deny. */
  readonly undeclared: "error" | "deny";
  /** Path of a Markdown auth-surface report to write; "" writes none. */
  readonly report: string;
}

export type Adapter = "connect" | "grpc-js";

const listOf = (value: string) => value.split("|").map((v) => v.trim());

const table: Record<string, { help: string; apply(o: Mutable<AuthzOptions>, value: string): void }> = {
  registry: {
    help: 'path of the registry module without extension, default "authz_registry"; empty to disable',
    apply: (o, v) => {
      o.registry = v.replace(/\.(ts|js)$/, "");
    },
  },
  adapters: {
    help: 'adapters wired by createAuthzGuard: "connect", "grpc-js" or "connect|grpc-js"',
    apply: (o, v) => {
      const adapters = listOf(v);
      for (const a of adapters) {
        if (a !== "connect" && a !== "grpc-js") throw new Error(`"${a}" is not an adapter (use connect, grpc-js or connect|grpc-js)`);
      }
      o.adapters = [...new Set(adapters as Adapter[])];
    },
  },
  principals: { help: 'closed list of principal kinds, e.g. "user|service|sandbox"', apply: (o, v) => (o.principals = vocabulary(v)) },
  roles: { help: 'closed list of roles, e.g. "admin|member"', apply: (o, v) => (o.roles = vocabulary(v)) },
  scopes: { help: 'closed list of scopes, e.g. "sandboxes.read|sandboxes.write"', apply: (o, v) => (o.scopes = vocabulary(v)) },
  undeclared: {
    help: '"error" (default) fails on an RPC without a rule; "deny" generates it as deny and lists it on stderr',
    apply: (o, v) => {
      if (v !== "error" && v !== "deny") throw new Error(`must be "error" or "deny"`);
      o.undeclared = v;
    },
  },
  report: { help: 'write a Markdown auth-surface report to this path, e.g. "AUTHZ.md"', apply: (o, v) => (o.report = v) },
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function vocabulary(value: string): string[] {
  const names = listOf(value);
  if (names.some((n) => n === "")) throw new Error("has an empty name; separate names with |");
  return [...new Set(names)];
}

export function parseOptions(raw: { key: string; value: string }[]): AuthzOptions {
  const options: Mutable<AuthzOptions> = {
    registry: "authz_registry",
    adapters: ["connect"],
    principals: undefined,
    roles: undefined,
    scopes: undefined,
    undeclared: "error",
    report: "",
  };
  for (const { key, value } of raw) {
    const option = Object.hasOwn(table, key) ? table[key] : undefined;
    if (option === undefined) {
      const valid = Object.entries(table).map(([k, o]) => `  ${k}: ${o.help}`);
      throw new Error(
        `unknown option "${key}". protoc-gen-authz options are:\n${valid.join("\n")}\n(and the standard target, import_extension, js_import_style, rewrite_imports, ts_nocheck)`,
      );
    }
    try {
      option.apply(options, value);
    } catch (error) {
      throw new Error(`option ${key}: ${(error as Error).message}`);
    }
  }
  return options;
}
