import { X509Certificate } from "node:crypto";
import type { Authenticator } from "../authenticator.js";
import { AuthenticationError, configError } from "../errors.js";
import type { AuthnRequest } from "../guard.js";
import type { Principal } from "../principal.js";

/** Who a certificate names, by the one source that named it. */
export interface CertificateIdentity {
  /** The first URI SAN (e.g. a SPIFFE id), else the first DNS SAN, else the CN. */
  readonly value: string;
  readonly from: "uri" | "dns" | "cn";
}

export interface MtlsAuthenticatorOptions<K extends string = string> {
  readonly name?: string;
  /** PEM certificates of the CAs that issue client certificates. */
  readonly ca: string | readonly string[];
  /** The kind of every principal from this authenticator, e.g. "service". */
  readonly kind: K;
  /** When set, only these identities are accepted. */
  readonly allowedSubjects?: readonly string[];
  /** Attributes for the principal, e.g. a tenant parsed from the SPIFFE id. */
  readonly attributes?: (identity: CertificateIdentity) => Record<string, string>;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

/**
 * A principal from the verified client certificate of a TLS connection
 * (connect-node over HTTP/2 TLS with `guardContextValues`, grpc-js secure
 * servers). The chain is checked against `ca` here as well, so a server that
 * requests but does not enforce client certificates still admits no
 * unverified peer. An absent or unverified certificate gives no principal.
 */
export function createMtlsAuthenticator<K extends string>(options: MtlsAuthenticatorOptions<K>): Authenticator<Principal<K, never, never>> {
  const cas = (typeof options.ca === "string" ? [options.ca] : options.ca).map((pem) => new X509Certificate(pem));
  if (cas.length === 0) {
    throw configError(
      "protoauthz/mtls ca",
      "no CA certificates",
      "give the CA certificates that issue client certificates",
      "the mTLS authenticator cannot start",
    );
  }
  const name = options.name ?? "mtls";
  const now = options.now ?? (() => new Date());
  return {
    name,
    credential: "tls",
    // Without an attributes function the principal has none; with one, who knows.
    produces: options.attributes === undefined ? { kinds: [options.kind], attributes: [] } : undefined,
    inspect(request: AuthnRequest) {
      const peer = request.peer;
      return peer?.certificate !== undefined && peer.authorized !== false ? "mine" : "absent";
    },
    async authenticate(request: AuthnRequest) {
      const raw = request.peer?.certificate?.raw;
      if (raw === undefined) throw new AuthenticationError(`${name}: no client certificate`);
      const cert = parse(raw, name);
      const at = now();
      // The chain check includes the CA's own validity: a server may not have
      // verified the peer at all (authorized undefined), or with other CAs.
      if (!cas.some((ca) => validAt(ca, at) && cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
        throw new AuthenticationError(`${name}: client certificate not issued by a trusted CA that is valid now`);
      }
      if (!validAt(cert, at)) throw new AuthenticationError(`${name}: client certificate not valid now`);
      const identity = identityOf(cert);
      if (typeof identity === "string") throw new AuthenticationError(`${name}: ${identity}`);
      if (options.allowedSubjects !== undefined && !options.allowedSubjects.includes(identity.value)) {
        throw new AuthenticationError(`${name}: "${identity.value}" is not in allowedSubjects`);
      }
      return {
        kind: options.kind,
        subject: identity.value,
        scopes: [],
        roles: [],
        attributes: Object.freeze({ ...options.attributes?.(identity) }),
      };
    },
  };
}

/** DER from the TLS layer; bytes that are no certificate are a bad credential, not an outage. */
function parse(raw: Uint8Array, name: string): X509Certificate {
  try {
    return new X509Certificate(raw);
  } catch {
    throw new AuthenticationError(`${name}: client certificate is not a valid X.509 certificate`);
  }
}

function validAt(cert: X509Certificate, at: Date): boolean {
  return at >= new Date(cert.validFrom) && at <= new Date(cert.validTo);
}

/**
 * URI SAN, then DNS SAN, then CN: the first source present decides alone.
 * Returns why not when the certificate names no single identity: a subject
 * with a multi-valued RDN (`CN=alice+CN=admin`) or several CNs is ambiguous
 * and refused rather than resolved to one of its values.
 */
export function identityOf(cert: X509Certificate): CertificateIdentity | string {
  // Node prints a multi-valued RDN as "A=x + B=y"; a literal "+" in a value is escaped ("\+").
  const rdns = cert.subject.split("\n");
  if (rdns.some((rdn) => rdn.includes(" + "))) return "client certificate subject has a multi-valued RDN";
  const sans = (cert.subjectAltName ?? "").split(", ").filter((s) => s !== "");
  const uri = sans.find((s) => s.startsWith("URI:"));
  if (uri !== undefined) return { value: uri.slice(4), from: "uri" };
  const dns = sans.find((s) => s.startsWith("DNS:"));
  if (dns !== undefined) return { value: dns.slice(4), from: "dns" };
  const cn = cert.toLegacyObject().subject?.CN;
  if (Array.isArray(cn)) return "client certificate subject has more than one CN";
  return typeof cn === "string" && cn !== "" ? { value: cn, from: "cn" } : "client certificate names no identity";
}
