import type { KeyObject } from "node:crypto";
import * as crypto from "node:crypto";

// crypto.hash (one-shot, ~2x faster) exists from Node 20.12; older 20.x hashes the long way.
const sha256: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "base64")
    : (text) => crypto.createHash("sha256").update(text).digest("base64");

export interface TokenCacheOptions {
  /** Most tokens kept; the least recently used leaves first. Default 10,000. */
  readonly maxEntries?: number;
  /** Longest a verified token is trusted without verifying again, seconds. Default 60. */
  readonly maxTtlSeconds?: number;
}

interface Entry<P> {
  readonly principal: P;
  /** Epoch ms after which the entry is not served. */
  readonly until: number;
  readonly key: KeyObject;
}

/**
 * Verified tokens, keyed by the SHA-256 of the exact token (the token itself
 * is not kept), each until the earlier of its own expiry and the TTL, at most
 * `maxEntries` (LRU). Only successes are stored.
 */
export class TokenCache<P> {
  readonly #entries = new Map<string, Entry<P>>();
  readonly #maxEntries: number;
  readonly #maxTtlMs: number;

  constructor(options: TokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    const maxTtl = options.maxTtlSeconds ?? 60;
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 10_000_000)
      throw new TypeError("protoauthz/jwt: cache.maxEntries must be an integer from 1 to 10,000,000");
    if (!Number.isFinite(maxTtl) || maxTtl <= 0 || maxTtl > 3600)
      throw new TypeError("protoauthz/jwt: cache.maxTtlSeconds must be more than 0 and at most 3600");
    this.#maxEntries = maxEntries;
    this.#maxTtlMs = maxTtl * 1000;
  }

  static keyOf(token: string): string {
    return sha256(token);
  }

  get size(): number {
    return this.#entries.size;
  }

  has(id: string, now: number): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && now < entry.until;
  }

  get(id: string, now: number): P | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    if (now >= entry.until) return undefined;
    this.#entries.set(id, entry); // most recently used goes last
    return entry.principal;
  }

  /** Stores a verified token's principal until `validUntilSeconds` (its exp, or earlier) or the TTL. */
  set(id: string, principal: P, validUntilSeconds: number, key: KeyObject, now: number): void {
    const until = Math.min(validUntilSeconds * 1000, now + this.#maxTtlMs);
    if (until <= now) return;
    this.#entries.delete(id);
    this.#entries.set(id, { principal, until, key });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** Forgets every token verified with one of these keys (they left the JWKS). */
  evictKeys(keys: ReadonlySet<KeyObject>): void {
    for (const [id, entry] of this.#entries) if (keys.has(entry.key)) this.#entries.delete(id);
  }
}
