import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { ServiceAuthz } from "../rule.js";
import { type RpcRequirements, requirementsOf } from "./requirements.js";

/** Gives the bearer token of one principal kind: called per RPC, so it may refresh. Undefined: none at hand. */
export type TokenSource = () => string | undefined | Promise<string | undefined>;

export interface AuthzClientOptions {
  /**
   * The credential of each principal kind this client can act as, in order
   * of preference: `{ user: userToken, sandbox: sandboxToken }`. Each RPC gets
   * the token of the first kind its rule admits, sent as `Authorization: Bearer`.
   */
  readonly credentials: Readonly<Record<string, TokenSource>>;
  /**
   * The kind whose credential to send to `public` RPCs (which need none, and
   * by default get none: a token sent where it is not needed is a token that
   * can leak). Also used for `audit` RPCs (migration mode).
   */
  readonly publicAs?: string;
}

/**
 * A Connect client interceptor that attaches, per RPC, the credential its rule
 * accepts (keyed by principal kind), sends none to a `public` RPC unless
 * asked, and refuses a `deny` RPC locally, before the network, with
 * PermissionDenied. An RPC of a service with no table, or whose rule admits
 * no kind this client has a credential for, goes out without one: the server
 * decides, and answers Unauthenticated.
 */
export function createAuthzClientInterceptor(tables: readonly ServiceAuthz[], options: AuthzClientOptions): Interceptor {
  const byService = new Map<string, ServiceAuthz>();
  for (const table of tables) byService.set(table.service.typeName, table);
  const kinds = Object.keys(options.credentials);
  for (const kind of kinds) {
    if (typeof options.credentials[kind] !== "function")
      throw new TypeError(`protoauthz/client: credentials.${kind} must be a function returning a token`);
  }
  if (options.publicAs !== undefined && !kinds.includes(options.publicAs)) {
    throw new TypeError(`protoauthz/client: publicAs is "${options.publicAs}", which has no entry in credentials (${kinds.join(", ")})`);
  }
  return (next) => async (req) => {
    const table = byService.get(req.service.typeName);
    const requirements = table === undefined ? undefined : requirementsOf(table, req.method.localName);
    if (requirements?.access === "deny") {
      throw new ConnectError(`${requirements.procedure} is not callable (its rule is deny): refused before sending`, Code.PermissionDenied);
    }
    const kind = requirements === undefined ? undefined : kindFor(requirements, kinds, options.publicAs);
    const token = kind === undefined ? undefined : await (options.credentials[kind] as TokenSource)();
    if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** The kind whose credential an RPC gets, or undefined for none. */
function kindFor(requirements: RpcRequirements, kinds: readonly string[], publicAs: string | undefined): string | undefined {
  if (!requirements.credentialNeeded) return publicAs;
  if (requirements.kinds.length === 0) return kinds[0];
  return kinds.find((kind) => requirements.kinds.includes(kind));
}
