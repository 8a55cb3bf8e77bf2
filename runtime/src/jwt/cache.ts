import type { KeyObject } from "node:crypto";
import * as crypto from "node:crypto";
import { BoundedCache } from "../bounded-cache.js";
import { configError } from "../errors.js";

// crypto.hash (one-shot, ~2x faster) exists from Node 20.12; older 20.x hashes the long way.
const sha256: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "base64")
    : (text) => crypto.createHash("sha256").update(text).digest("base64");

export interface TokenCacheOptions {
  /** Most tokens kept; one unused since it was cached (or since its last second chance) leaves first. Default 10,000. */
  readonly maxEntries?: number;
  /** Longest a verified token is trusted without verifying again, seconds. Default 60. */
  readonly maxTtlSeconds?: number;
}

/**
 * Verified tokens, keyed by the SHA-256 of the exact token (the token itself
 * is not kept), each until the earlier of its own expiry and the TTL, at most
 * `maxEntries` (second-chance LRU, see BoundedCache). Only successes are stored.
 */
export class TokenCache<P> {
  readonly #entries: BoundedCache<{ readonly principal: P; readonly key: KeyObject }>;
  readonly #maxTtlMs: number;

  constructor(options: TokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    const maxTtl = options.maxTtlSeconds ?? 60;
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 10_000_000)
      throw configError(
        "protoauthz/jwt cache.maxEntries",
        `cache.maxEntries is ${String(maxEntries)}`,
        "give an integer from 1 to 10,000,000",
        "the JWT authenticator cannot start",
      );
    if (!Number.isFinite(maxTtl) || maxTtl <= 0 || maxTtl > 3600)
      throw configError(
        "protoauthz/jwt cache.maxTtlSeconds",
        `cache.maxTtlSeconds is ${String(maxTtl)}`,
        "give more than 0 and at most 3600",
        "the JWT authenticator cannot start",
      );
    this.#entries = new BoundedCache(maxEntries);
    this.#maxTtlMs = maxTtl * 1000;
  }

  static keyOf(token: string): string {
    return sha256(token);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string, now: number): P | undefined {
    return this.#entries.get(id, now)?.principal;
  }

  /** Stores a verified token's principal until `validUntilSeconds` (its exp, or earlier) or the TTL. */
  set(id: string, principal: P, validUntilSeconds: number, key: KeyObject, now: number): void {
    this.#entries.set(id, { principal, key }, Math.min(validUntilSeconds * 1000, now + this.#maxTtlMs), now);
  }

  /** Forgets every token verified with one of these keys (they left the JWKS). */
  evictKeys(keys: ReadonlySet<KeyObject>): void {
    this.#entries.deleteWhere((entry) => keys.has(entry.key));
  }
}
