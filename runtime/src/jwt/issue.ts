import type { CryptoKey, JWK, JWTPayload } from "jose";
import { configError } from "../errors.js";
import { loadOptionalPeer } from "../optional-peer.js";

/** jose signs; it is loaded when the first token is, so verifying tokens never needs it installed. */
const loadJose = () => loadOptionalPeer("jose", "protoauthz/jwt createTokenSource", () => import("jose"));

export interface TokenSourceOptions {
  /** Signing algorithm, e.g. "HS256", "ES256", "EdDSA". */
  readonly algorithm: string;
  /** HS*: the shared secret; others: a PKCS#8 PEM, a private JWK or a CryptoKey. */
  readonly key: string | Uint8Array | JWK | CryptoKey;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly subject: string;
  /** Extra claims, e.g. { scope: "logs.write", sandbox_id: "sb-1" }. */
  readonly claims?: JWTPayload;
  /** Token lifetime in seconds. Default 300. */
  readonly lifetimeSeconds?: number;
  /** Re-sign when fewer than this many seconds remain. Default lifetime / 5. */
  readonly refreshBeforeSeconds?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * The issuing side of service-to-service tokens: signs with jose and hands
 * out the same token until it nears expiry, then signs a fresh one, so a
 * long-running client never sends an expired token.
 */
export function createTokenSource(options: TokenSourceOptions): { token(): Promise<string> } {
  const lifetime = options.lifetimeSeconds ?? 300;
  const refreshBefore = options.refreshBeforeSeconds ?? Math.floor(lifetime / 5);
  if (lifetime <= refreshBefore) {
    throw configError(
      "protoauthz/jwt createTokenSource lifetimeSeconds",
      `lifetimeSeconds (${lifetime}) must exceed refreshBeforeSeconds (${refreshBefore})`,
      "make the lifetime longer or refresh later",
      "the token source cannot start",
    );
  }
  const now = options.now ?? (() => Date.now() / 1000);
  let key: Promise<CryptoKey | Uint8Array> | undefined;
  let current: { token: string; expires: number } | undefined;
  let signing: Promise<string> | undefined;

  const signingKey = async (): Promise<CryptoKey | Uint8Array> => {
    const { importJWK, importPKCS8 } = await loadJose();
    const k = options.key;
    if (typeof k === "string" && options.algorithm.startsWith("HS")) return new TextEncoder().encode(k);
    if (k instanceof Uint8Array) return k;
    if (typeof k === "string") return importPKCS8(k, options.algorithm);
    if ("algorithm" in k && "usages" in k) return k as CryptoKey;
    return importJWK(k as JWK, options.algorithm) as Promise<CryptoKey | Uint8Array>;
  };

  const sign = async () => {
    const { SignJWT } = await loadJose();
    key ??= signingKey();
    const issuedAt = Math.floor(now());
    const expires = issuedAt + lifetime;
    const token = await new SignJWT({ ...options.claims })
      .setProtectedHeader({ alg: options.algorithm, typ: "JWT" })
      .setIssuer(options.issuer)
      .setAudience(typeof options.audience === "string" ? options.audience : [...options.audience])
      .setSubject(options.subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expires)
      .sign(await key);
    current = { token, expires };
    return token;
  };

  return {
    async token() {
      if (current !== undefined && current.expires - now() > refreshBefore) return current.token;
      signing ??= sign().finally(() => {
        signing = undefined;
      });
      return signing;
    },
  };
}

/**
 * A Connect client interceptor that sends a token source's current token,
 * e.g. createConnectTransport({ interceptors: [bearerInterceptor(source)] }).
 */
export function bearerInterceptor(source: { token(): Promise<string> }) {
  return <Req extends { header: Headers }, Res>(next: (req: Req) => Promise<Res>) =>
    async (req: Req): Promise<Res> => {
      req.header.set("authorization", `Bearer ${await source.token()}`);
      return next(req);
    };
}
