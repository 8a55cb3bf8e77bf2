import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Issued } from "./certs.js";

/** What the fake API server says about one token. */
export interface Reviewed {
  readonly authenticated: boolean;
  readonly username?: string;
  readonly audiences?: readonly string[];
  readonly extra?: Record<string, string[]>;
  readonly error?: string;
  /** Answer like an API server that ignores spec.audiences: the token's own audiences, authenticated. */
  readonly ignoresAudiences?: boolean;
  /** Answer exactly this status (malformed replies). */
  readonly rawStatus?: unknown;
}

/** An HTTPS server on 127.0.0.1 that answers TokenReviews like the Kubernetes API server. */
export interface TokenReviewServer {
  readonly url: string;
  /** token -> review; unknown tokens are not authenticated. */
  readonly tokens: Map<string, Reviewed>;
  /** Milliseconds before answering. */
  delayMs: number;
  /** Reviews received (the tokens). */
  readonly reviews: string[];
  close(): Promise<void>;
}

export async function startTokenReviewServer(cert: Issued, reviewerToken: string): Promise<TokenReviewServer> {
  const state = { tokens: new Map<string, Reviewed>(), delayMs: 0, reviews: [] as string[] };
  const sockets = new Set<Duplex>();
  const server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      setTimeout(() => {
        if (req.method !== "POST" || req.url !== "/apis/authentication.k8s.io/v1/tokenreviews") return res.writeHead(404).end();
        if (req.headers.authorization !== `Bearer ${reviewerToken}`) return res.writeHead(401).end();
        const review = JSON.parse(body) as { spec: { token: string; audiences: string[] } };
        state.reviews.push(review.spec.token);
        const known = state.tokens.get(review.spec.token);
        // Like the API server: audiences is the intersection of the requested and the token's.
        const audiences = known?.ignoresAudiences
          ? [...(known.audiences ?? [])]
          : (known?.audiences ?? []).filter((a) => review.spec.audiences.includes(a));
        const status =
          known?.rawStatus !== undefined
            ? known.rawStatus
            : known === undefined || !known.authenticated || audiences.length === 0
              ? { authenticated: false, error: known?.error ?? "[invalid bearer token, token lookup failed]" }
              : { authenticated: true, audiences, user: { username: known.username, uid: "u-1", groups: [], extra: known.extra ?? {} } };
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: review.spec, status }));
      }, state.delayMs);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}
