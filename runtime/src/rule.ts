import type { DescMethod, DescService, MessageShape } from "@bufbuild/protobuf";

/**
 * A request field that must equal an attribute of the principal.
 *
 * `field` is the dotted proto path ("target.sandbox_id"). Generated tables
 * also carry `read`, a typed accessor for that path; rules written in code may
 * omit it and the guard derives one from the descriptor.
 */
export interface Binding<Req = never> {
  readonly field: string;
  readonly attribute: string;
  readonly read?: (request: Req) => unknown;
}

/** Anyone may call, with or without credentials. */
export interface PublicRule {
  readonly access: "public";
  readonly reason: string;
}

/** Nobody may call. */
export interface DenyRule {
  readonly access: "deny";
  readonly reason: string;
}

/**
 * Migration mode (generated under the plugin's `undeclared=audit` for an RPC
 * that declares nothing yet): anyone may still call, as before protoauthz,
 * but the guard authenticates whoever presents credentials and audits every
 * call with its principal. Would-be refusals (no or invalid credentials, a
 * failing authenticator) are audited with `enforced: false`, never enforced.
 * Not protection: annotate these RPCs from the audit events, then switch to
 * `undeclared=deny`.
 */
export interface AuditRule {
  readonly access: "audit";
  readonly reason: string;
}

/**
 * The caller must hold `permission` on `resourceType:<value of idField>` in
 * the relationship engine (see RelationChecker). Asked only after every
 * static restriction of its rule or alternative holds.
 */
export interface Relation<Req = never, Resource extends string = string, Permission extends string = string> {
  /** Object type in the engine's schema, e.g. "workspace". */
  readonly resourceType: Resource;
  /** Dotted proto path of the resource id, with the rules of `Binding.field`. */
  readonly idField: string;
  /** Permission (or relation) in the engine's schema, e.g. "write". */
  readonly permission: Permission;
  /** Typed accessor for `idField`; generated, optional in code. */
  readonly read?: (request: Req) => unknown;
}

/** What an authenticated caller must meet; also one alternative of `any_of`. */
export interface Requirements<
  Req = never,
  Kind extends string = string,
  Role extends string = string,
  Scope extends string = string,
  Resource extends string = string,
  Permission extends string = string,
> {
  /** Allowed principal kinds; empty or absent allows any kind. */
  readonly principals?: readonly Kind[];
  /** All required. */
  readonly scopes?: readonly Scope[];
  /** At least one required when any are listed. */
  readonly roles?: readonly Role[];
  readonly bindings?: readonly Binding<Req>[];
  /** All must hold. */
  readonly relations?: readonly Relation<Req, Resource, Permission>[];
  /**
   * CEL expressions over `request` and `principal` that must all be true,
   * e.g. "request.page_size <= 100". Compiled once when the guard starts
   * (one that does not type-check against the request message is an
   * AuthzConfigError); evaluated after bindings, before relations.
   */
  readonly conditions?: readonly string[];
}

/** An identified principal that meets every restriction may call. */
export interface AuthenticatedRule<
  Req = never,
  Kind extends string = string,
  Role extends string = string,
  Scope extends string = string,
  Resource extends string = string,
  Permission extends string = string,
> extends Requirements<Req, Kind, Role, Scope, Resource, Permission> {
  readonly access: "authenticated";
}

/** Admitted when at least one alternative (of two or more) admits the caller: "the owner, or an admin". */
export interface AnyOfRule<
  Req = never,
  Kind extends string = string,
  Role extends string = string,
  Scope extends string = string,
  Resource extends string = string,
  Permission extends string = string,
> {
  readonly access: "any_of";
  readonly alternatives: readonly Requirements<Req, Kind, Role, Scope, Resource, Permission>[];
}

export type Rule<
  Req = never,
  Kind extends string = string,
  Role extends string = string,
  Scope extends string = string,
  Resource extends string = string,
  Permission extends string = string,
> =
  | PublicRule
  | DenyRule
  | AuditRule
  | AuthenticatedRule<Req, Kind, Role, Scope, Resource, Permission>
  | AnyOfRule<Req, Kind, Role, Scope, Resource, Permission>;

/**
 * Where a method's rule came from: its own `rule` option, its service's
 * `default_rule`, code (rules for services you do not own), or nowhere
 * (generated as deny under the plugin's `undeclared=deny`, as audit under
 * `undeclared=audit`).
 */
export type RuleSource = "method" | "service_default" | "code" | "undeclared";

/** A rule as it stands in a table, with its origin for audit and review. */
export type MethodRule<
  Req = never,
  Kind extends string = string,
  Role extends string = string,
  Scope extends string = string,
  Resource extends string = string,
  Permission extends string = string,
> = Rule<Req, Kind, Role, Scope, Resource, Permission> & {
  readonly source?: RuleSource;
};

/**
 * The request message of the method `K` (its local name) of service `S`, e.g.
 * `RequestOf<typeof SandboxService, "getPolicy">`. Generated tables type
 * their accessors with it.
 */
export type RequestOf<S extends DescService, K extends keyof S["method"]> =
  S["method"][K] extends Pick<DescMethod, "input"> ? MessageShape<S["method"][K]["input"]> : never;

/**
 * Every method of a service, keyed by its local name, mapped to its rule;
 * the names a rule may use are open unless given (the registry's
 * `defineServiceAuthz` closes them to the generated vocabulary).
 */
export type ServiceRules<
  S extends DescService,
  Kind extends string = string,
  Role extends string = string,
  Scope extends string = string,
  Resource extends string = string,
  Permission extends string = string,
> = {
  readonly [K in keyof S["method"]]: MethodRule<RequestOf<S, K>, Kind, Role, Scope, Resource, Permission>;
};

/** Rules of any service: `never` accepts every typed binding accessor. */
export type AnyServiceRules = { readonly [method: string]: MethodRule<never> };

/** A service descriptor together with the rule of each of its methods. */
export interface ServiceAuthz<S extends DescService = DescService, R extends AnyServiceRules = AnyServiceRules> {
  readonly service: S;
  readonly rules: R;
}

/**
 * Ties rules to a service. Generated tables call this; call it yourself for
 * services you serve but do not own (health, reflection), and pass the result
 * to the guard next to the generated tables. The guard validates both alike.
 */
export function defineServiceAuthz<S extends DescService, const R extends ServiceRules<S>>(service: S, rules: R): ServiceAuthz<S, R> {
  return { service, rules };
}
