import { printable } from "./escape.js";

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
  /** Closed vocabularies of relations: resource types and permissions. */
  readonly resources: readonly string[] | undefined;
  readonly permissions: readonly string[] | undefined;
  /**
   * An RPC without a rule: "error" fails generation; "deny" generates it as
   * deny; "audit" (migration) generates an audit rule: allowed, caller authenticated and audited.
   */
  readonly undeclared: Undeclared;
  /** Path of a Markdown auth-surface report to write; "" writes none. */
  readonly report: string;
  /** Path of a JSON manifest of every RPC's requirements to write; "" writes none. */
  readonly manifest: string;
}

export type Adapter = "connect" | "grpc-js";

export type Undeclared = "error" | "deny" | "audit";

const listOf = (value: string) => value.split("|").map((v) => v.trim());

const table: Record<string, { help: string; apply(o: Mutable<AuthzOptions>, value: string): void }> = {
  registry: {
    help: 'path of the registry module without extension, default "authz_registry"; empty to disable',
    apply: (o, v) => {
      o.registry = v === "" ? "" : outputPath(v).replace(/\.(ts|js)$/, "");
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
  resources: { help: 'closed list of relation resource types, e.g. "workspace|sandbox"', apply: (o, v) => (o.resources = vocabulary(v)) },
  permissions: { help: 'closed list of relation permissions, e.g. "read|write"', apply: (o, v) => (o.permissions = vocabulary(v)) },
  undeclared: {
    help: '"error" (default) fails on an RPC without a rule; "deny" generates it as deny; "audit" (migration) allows it, authenticating and auditing the caller; both list it on stderr',
    apply: (o, v) => {
      if (v !== "error" && v !== "deny" && v !== "audit") throw new Error(`must be "error", "deny" or "audit"`);
      o.undeclared = v;
    },
  },
  report: {
    help: 'write a Markdown auth-surface report to this path, e.g. "AUTHZ.md"',
    apply: (o, v) => (o.report = v === "" ? "" : outputPath(v)),
  },
  manifest: {
    help: 'write a JSON manifest of every RPC\'s requirements to this path, e.g. "authz.manifest.json"',
    apply: (o, v) => (o.manifest = v === "" ? "" : outputPath(v)),
  },
};

/**
 * A path inside the output directory, as protoc and buf resolve it: relative,
 * forward slashes, no `..`. Anything else could overwrite files elsewhere.
 */
function outputPath(value: string): string {
  if (value.startsWith("/") || /^[A-Za-z]:/.test(value) || value.includes("\\")) {
    throw new Error(
      `"${value}" is not a relative path with forward slashes (write a path inside the output directory, e.g. "authz/index")`,
    );
  }
  if (value.split("/").some((segment) => segment === ".." || segment === "")) {
    throw new Error(
      `"${value}" leaves the output directory or has an empty segment (write a path inside it, without "..", e.g. "authz/index")`,
    );
  }
  return value;
}

/**
 * The raw plugin parameter, before anything reads it: a control, line-break
 * or bidi character would end up in a `//` header or a path, so it is refused.
 */
export function checkParameter(parameter: string): string | undefined {
  if (printable(parameter) === parameter) return undefined;
  return `plugin parameter "${printable(parameter)}" contains a control, line-break or invisible character (remove it from opt/--authz_opt in buf.gen.yaml or the protoc command line)`;
}

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
    resources: undefined,
    permissions: undefined,
    undeclared: "error",
    report: "",
    manifest: "",
  };
  for (const { key, value } of raw) {
    const option = Object.hasOwn(table, key) ? table[key] : undefined;
    if (option === undefined) {
      const valid = Object.entries(table).map(([k, o]) => `  ${k}: ${o.help}`);
      throw new Error(
        `unknown option "${printable(key)}". protoc-gen-authz options are:\n${valid.join("\n")}\n(and the standard target, import_extension, js_import_style, rewrite_imports, ts_nocheck)`,
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
