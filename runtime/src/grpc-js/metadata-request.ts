import type { Metadata, ServerInterceptingCallInterface } from "@grpc/grpc-js";
import type { AuthnRequest, Peer, RequestHeaders } from "../guard-api.js";

/**
 * What an authenticator sees of a grpc-js call, read from the call when asked:
 * the headers without copying the metadata, the TLS peer only when an
 * authenticator looks (reading it parses the certificate).
 */
export class MetadataRequest implements AuthnRequest {
  readonly header: RequestHeaders;
  /**
   * grpc-js serves only `application/grpc` requests, a content type no
   * browser can send without a CORS preflight, and gRPC-Web proxies forward
   * POSTs: a GET never reaches a grpc-js handler from a page.
   */
  readonly httpMethod = "POST";
  #peer: Peer | undefined | null = null;

  constructor(
    readonly procedure: string,
    metadata: Metadata,
    private readonly call: ServerInterceptingCallInterface,
  ) {
    this.header = new MetadataHeaders(metadata);
  }

  get peer(): Peer | undefined {
    if (this.#peer === null) this.#peer = peerOf(this.call);
    return this.#peer;
  }
}

/**
 * Metadata through the part of the Headers interface authenticators use.
 * Repeated keys join with ", " as in Headers; binary (-bin) keys are not visible.
 */
class MetadataHeaders implements RequestHeaders {
  constructor(private readonly metadata: Metadata) {}

  get(name: string): string | null {
    const found = this.#values(name);
    if (found.length === 0) return null;
    // One value (the usual case) is returned as it is, without a copy.
    return found.length === 1 && typeof found[0] === "string" ? found[0] : found.map(String).join(", ");
  }

  has(name: string): boolean {
    return this.#values(name).length > 0;
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [key, value] of Object.entries(this.metadata.toJSON())) {
      if (!key.endsWith("-bin")) callback.call(thisArg, value.map(String).join(", "), key, this as unknown as Headers);
    }
  }

  #values(name: string) {
    return name.endsWith("-bin") ? [] : this.metadata.get(name.toLowerCase());
  }
}

function peerOf(call: ServerInterceptingCallInterface): Peer | undefined {
  const auth = call.getAuthContext();
  if (auth.transportSecurityType !== "ssl") return undefined;
  const certificate = auth.sslPeerCertificate;
  // grpc-js reports a peer certificate only once TLS has verified it.
  return { authorized: true, certificate: certificate?.raw ? { raw: certificate.raw } : undefined };
}
