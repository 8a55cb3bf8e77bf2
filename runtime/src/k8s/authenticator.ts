import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Authenticator } from "../authenticator.js";
import { AuthenticationError, configError } from "../errors.js";
import type { AuthnRequest } from "../guard.js";
import { bearerToken } from "../jwt/bearer.js";
import type { Principal } from "../principal.js";
import { ReviewCache } from "./cache.js";
import { type ReviewStatus, reviewClient } from "./review.js";

const inCluster = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Who a reviewed token belongs to. */
export interface ServiceAccountIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** From the token's pod binding (`extra`); absent for tokens not bound to a pod. */
  readonly podName?: string;
  readonly podUid?: string;
}

export interface TokenReviewAuthenticatorOptions<K extends string = string> {
  readonly name?: string;
  /** The audience tokens must be minted for (`kubectl create token --audience`, projected volumes). Required. */
  readonly audience: string;
  /** The kind of every principal, e.g. "sandbox". */
  readonly kind: K;
  /** When set, only these service accounts are accepted. */
  readonly serviceAccounts?: readonly { readonly namespace: string; readonly name: string }[];
  /** Claim only bearer tokens whose (unverified) `iss` is this, leaving others to other authenticators. Default: every bearer JWT. */
  readonly issuer?: string;
  /** Default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT. */
  readonly apiServer?: string;
  /** PEM of the API server's CA. Default: the in-cluster ca.crt. */
  readonly ca?: string;
  /** The reviewer's bearer token (needs `create` on tokenreviews). Default: the in-cluster token file, read per review. */
  readonly credentials?: () => string | Promise<string>;
  /** Default 2000; a slower API server is Unavailable. */
  readonly timeoutMs?: number;
  /** How long a review is reused, never past the token's `exp`. Default 10 000; 0 disables. */
  readonly cacheTtlMs?: number;
  /** Default 1000 tokens. */
  readonly cacheMaxEntries?: number;
  /** More principal attributes, e.g. { sandbox_id: identity.serviceAccount }. */
  readonly attributes?: (identity: ServiceAccountIdentity) => Record<string, string>;
  /** Largest Authorization header accepted, in bytes. Default 8192. */
  readonly maxTokenBytes?: number;
  /** Clock in ms, for tests. */
  readonly now?: () => number;
}

/**
 * Service-account tokens checked by the Kubernetes API server (TokenReview),
 * for workloads bootstrapping their identity. The review must say
 * authenticated, name the configured audience and a service account
 * (`system:serviceaccount:<namespace>:<name>`); the principal's attributes are
 * `namespace`, `service_account`, and `pod_name`/`pod_uid` when the token is
 * bound to a pod. An API server that cannot answer is Unavailable.
 */
export function createTokenReviewAuthenticator<K extends string>(
  options: TokenReviewAuthenticatorOptions<K>,
): Authenticator<Principal<K, never, never>> {
  if (typeof options.audience !== "string" || options.audience === "") {
    throw configError(
      "protoauthz/k8s audience",
      "no audience",
      "set audience (the audience service-account tokens are minted for)",
      "the TokenReview authenticator cannot start",
    );
  }
  if (typeof options.kind !== "string" || options.kind === "") {
    throw configError(
      "protoauthz/k8s kind",
      "no principal kind",
      'set kind, e.g. kind: "sandbox"',
      "the TokenReview authenticator cannot start",
    );
  }
  const name = options.name ?? "k8s";
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  const now = options.now ?? Date.now;
  const client = reviewClient({
    apiServer: options.apiServer ?? inClusterApiServer(),
    ca: options.ca ?? readInCluster("ca.crt"),
    credentials: options.credentials ?? (() => readFile(`${inCluster}/token`, "utf8")),
    timeoutMs: options.timeoutMs ?? 2000,
    maxResponseBytes: 1 << 20,
  });
  const cache = new ReviewCache<ReviewStatus>(options.cacheTtlMs ?? 10_000, options.cacheMaxEntries ?? 1000, now);
  const allowed = options.serviceAccounts?.map((sa) => `${sa.namespace}:${sa.name}`);

  return {
    name,
    credential: "authorization",
    // An attributes function may add any; otherwise these are all (the pod's when the token is bound to one).
    produces:
      options.attributes === undefined
        ? { kinds: [options.kind], attributes: ["namespace", "service_account", "pod_name", "pod_uid"] }
        : undefined,
    inspect(request: AuthnRequest) {
      if (!request.header.has("authorization")) return "absent";
      try {
        const token = bearerToken(request.header, maxTokenBytes);
        if (token === undefined) return "not-mine";
        return options.issuer === undefined || claimsOf(token)?.iss === options.issuer ? "mine" : "not-mine";
      } catch {
        return "not-mine";
      }
    },
    async authenticate(request: AuthnRequest) {
      const token = bearerToken(request.header, maxTokenBytes);
      if (token === undefined) throw new AuthenticationError(`${name}: no bearer token`);
      const exp = claimsOf(token)?.exp;
      const until = typeof exp === "number" ? exp * 1000 : Number.POSITIVE_INFINITY;
      const key = createHash("sha256").update(token).digest("hex");
      let status: ReviewStatus;
      try {
        status = await cache.get(key, until, () => client.review(token, options.audience));
      } catch (error) {
        throw new Error(`${name}: cannot review tokens right now: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      const identity = identityOf(status, options.audience);
      if (typeof identity === "string") throw new AuthenticationError(`${name}: ${identity}`);
      if (allowed !== undefined && !allowed.includes(`${identity.namespace}:${identity.serviceAccount}`)) {
        throw new AuthenticationError(`${name}: service account ${identity.namespace}/${identity.serviceAccount} is not allowed`);
      }
      return {
        kind: options.kind,
        subject: `system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`,
        scopes: [],
        roles: [],
        attributes: Object.freeze({
          ...stringAttributes(options.attributes?.(identity)),
          namespace: identity.namespace,
          service_account: identity.serviceAccount,
          ...(identity.podName !== undefined && { pod_name: identity.podName }),
          ...(identity.podUid !== undefined && { pod_uid: identity.podUid }),
        }),
      };
    },
  };
}

/** The `attributes` option's result, held to strings: a number would have to be rounded or guessed at. A bad one is a server bug (Unavailable). */
function stringAttributes(attributes: Record<string, string> | undefined): Record<string, string> | undefined {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (typeof value !== "string") {
      throw new TypeError(`protoauthz/k8s: attributes() must map names to strings; ${JSON.stringify(name)} is a ${typeof value}`);
    }
  }
  return attributes;
}

const segment = "[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?";
const serviceAccountUser = new RegExp(`^system:serviceaccount:(${segment}):(${segment})$`);

/** The service account a review vouches for, or why it does not. */
function identityOf(status: ReviewStatus, audience: string): ServiceAccountIdentity | string {
  if (status.authenticated !== true) {
    const why = typeof status.error === "string" && status.error !== "" ? `: ${status.error.slice(0, 200)}` : "";
    return `token not authenticated by the API server${why}`;
  }
  if (!Array.isArray(status.audiences) || !status.audiences.includes(audience))
    return `token is not meant for audience ${JSON.stringify(audience)}`;
  const match = serviceAccountUser.exec(status.user?.username ?? "");
  if (match === null) return "token does not belong to a service account";
  const one = (key: string) => {
    const values = status.user?.extra?.[key];
    return Array.isArray(values) && values.length === 1 && typeof values[0] === "string" && values[0] !== "" ? values[0] : undefined;
  };
  const podName = one("authentication.kubernetes.io/pod-name");
  const podUid = one("authentication.kubernetes.io/pod-uid");
  return {
    namespace: match[1] ?? "",
    serviceAccount: match[2] ?? "",
    ...(podName !== undefined && { podName }),
    ...(podUid !== undefined && { podUid }),
  };
}

/** The unverified payload, only to route the token and bound the cache; the API server verifies. */
function claimsOf(token: string): { iss?: unknown; exp?: unknown } | undefined {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { iss?: unknown; exp?: unknown };
  } catch {
    return undefined;
  }
}

function inClusterApiServer(): string {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443";
  if (host === undefined || host === "") {
    throw configError(
      "protoauthz/k8s apiServer",
      "not running in a cluster (KUBERNETES_SERVICE_HOST is unset)",
      "set apiServer, ca and credentials",
      "the TokenReview authenticator cannot start",
    );
  }
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function readInCluster(file: string): string {
  try {
    return readFileSync(`${inCluster}/${file}`, "utf8");
  } catch {
    throw configError(
      "protoauthz/k8s ca",
      `cannot read ${inCluster}/${file} (not in a cluster?)`,
      "set ca",
      "the TokenReview authenticator cannot start",
    );
  }
}
