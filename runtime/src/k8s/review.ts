import * as https from "node:https";
import { configError } from "../errors.js";
import { checkReviewStatus, type ReviewStatus } from "./review-status.js";

export type { ReviewStatus };

export interface ReviewClient {
  /** Asks the API server; rejects (plain Error) when it cannot answer. */
  review(token: string, audience: string): Promise<ReviewStatus>;
}

export interface ReviewClientOptions {
  /** e.g. "https://10.96.0.1:443". */
  readonly apiServer: string;
  /** PEM of the CA that signed the API server's certificate. */
  readonly ca: string;
  /** The reviewer's own bearer token (read per review: projected tokens rotate). */
  readonly credentials: () => string | Promise<string>;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

const path = "/apis/authentication.k8s.io/v1/tokenreviews";

/** POSTs TokenReviews over HTTPS, verifying the API server against `ca`. */
export function reviewClient(options: ReviewClientOptions): ReviewClient {
  const url = new URL(path, options.apiServer);
  if (url.protocol !== "https:")
    throw configError(
      "protoauthz/k8s apiServer",
      `apiServer must be an https URL, got ${JSON.stringify(options.apiServer)}`,
      "give the API server's https URL, or leave it unset inside a cluster",
      "the TokenReview authenticator cannot start",
    );
  return {
    async review(token, audience) {
      const body = JSON.stringify({
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenReview",
        spec: { token, audiences: [audience] },
      });
      const bearer = (await options.credentials()).trim();
      const text = await post(url, body, bearer, options);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error("TokenReview answer is not JSON");
      }
      if (typeof parsed !== "object" || parsed === null || !("status" in parsed)) throw new Error("TokenReview answer has no status");
      const status = checkReviewStatus(parsed.status);
      if (typeof status === "string") throw new Error(`TokenReview answer is malformed: ${status}`);
      return status;
    },
  };
}

function post(url: URL, body: string, bearer: string, options: ReviewClientOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: "POST",
        ca: options.ca,
        // Explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment must not make any certificate do.
        rejectUnauthorized: true,
        headers: {
          authorization: `Bearer ${bearer}`,
          "content-type": "application/json",
          accept: "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxResponseBytes) {
            request.destroy(new Error(`TokenReview answer larger than ${options.maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => {
          clearTimeout(timer);
          const status = response.statusCode ?? 0;
          if (status !== 200 && status !== 201) reject(new Error(`API server answered TokenReview with HTTP ${status}`));
          else resolve(Buffer.concat(chunks).toString("utf8"));
        });
        response.on("error", reject);
      },
    );
    const timer = setTimeout(
      () => request.destroy(new Error(`API server did not answer TokenReview within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}
