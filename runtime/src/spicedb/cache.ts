import { BoundedCache } from "../bounded-cache.js";

/**
 * A bounded decision cache (second-chance LRU, see BoundedCache): an entry
 * older than its TTL is never returned. Only definite answers from the
 * engine are stored; errors and conditional answers never are.
 */
export interface DecisionCacheOptions {
  /** Most entries kept; beyond it the oldest one not used since it was stored (or spared) is dropped. */
  readonly maxEntries: number;
  /** How long an answer may be reused, in milliseconds: the staleness you accept. */
  readonly ttlMs: number;
  /** Clock in milliseconds; tests move it. Defaults to performance.now. */
  readonly now?: () => number;
}

export class DecisionCache {
  readonly #entries: BoundedCache<boolean>;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: DecisionCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`decision cache: maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
      throw new RangeError(`decision cache: ttlMs must be a positive number of milliseconds, got ${options.ttlMs}`);
    }
    this.#entries = new BoundedCache(options.maxEntries);
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): boolean | undefined {
    return this.#entries.get(key, this.#now());
  }

  set(key: string, held: boolean): void {
    const now = this.#now();
    this.#entries.set(key, held, now + this.#ttlMs, now);
  }
}
