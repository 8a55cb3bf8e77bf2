import { createHash, timingSafeEqual } from "node:crypto";
import type { Authenticator } from "../authenticator.js";
import { AuthenticationError, configError } from "../errors.js";
import type { AuthnRequest } from "../guard.js";
import type { Principal } from "../principal.js";

export interface ApiKeyAuthenticatorOptions<P extends Principal> {
  readonly name?: string;
  /** The header carrying the key, e.g. "x-api-key". */
  readonly header: string;
  /** Stored keys: the hex SHA-256 of each key (see hashApiKey) and its principal. */
  readonly keys: readonly { readonly sha256: string; readonly principal: P }[];
}

/** The hex SHA-256 to store for an API key; the key itself is never stored. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/**
 * Maps an API key from a named header to its principal. The presented key is
 * hashed and compared in constant time against every stored hash, so neither
 * timing nor early exit tells how close a guess was.
 */
export function createApiKeyAuthenticator<P extends Principal>(options: ApiKeyAuthenticatorOptions<P>): Authenticator<P> {
  const header = options.header.toLowerCase();
  if (header === "" || header === "authorization") {
    throw configError(
      "protoauthz/apikey header",
      `header is ${JSON.stringify(options.header)}`,
      'name a dedicated header, e.g. "x-api-key"',
      "the API key authenticator cannot start",
    );
  }
  const stored = options.keys.map(({ sha256, principal }) => {
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw configError(
        "protoauthz/apikey keys[].sha256",
        "sha256 is not 64 lowercase hex digits",
        "store hashApiKey(key), never the key",
        "the API key authenticator cannot start",
      );
    return { digest: Buffer.from(sha256, "hex"), principal };
  });
  const name = options.name ?? "apikey";
  return {
    name,
    credential: `header:${header}`,
    produces: {
      kinds: [...new Set(options.keys.map((key) => key.principal.kind))],
      attributes: [...new Set(options.keys.flatMap((key) => Object.keys(key.principal.attributes ?? {})))],
    },
    inspect: (request: AuthnRequest) => (request.header.has(header) ? "mine" : "absent"),
    async authenticate(request: AuthnRequest) {
      const key = request.header.get(header) ?? "";
      if (key === "" || key.includes(",") || key.length > 1024)
        throw new AuthenticationError(`${name}: malformed or repeated ${header} header`);
      const digest = createHash("sha256").update(key, "utf8").digest();
      let found: P | undefined;
      for (const entry of stored) {
        if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry.principal;
      }
      if (found === undefined) throw new AuthenticationError(`${name}: unknown key`);
      return found;
    },
  };
}
