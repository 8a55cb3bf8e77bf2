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

/**
 * An engine answer and the ZedTokens it is known to be at least as fresh as:
 * the one the call asked at_least_as_fresh (SpiceDB never answers older), and
 * the one it was checked at (`checked_at`).
 */
interface CachedAnswer {
  readonly held: boolean;
  readonly askedAt: string | undefined;
  readonly checkedAt: string | undefined;
}

export class DecisionCache {
  readonly #entries: BoundedCache<CachedAnswer>;
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

  /**
   * The cached answer, when it may serve a call that asks at least as fresh
   * as `token` (undefined: no token, any answer within the TTL serves).
   * ZedTokens cannot be ordered without knowing the datastore, so a token is
   * covered only when it is one the answer is known to be as fresh as; any
   * other token (a newer write, a revocation) goes to the engine.
   */
  get(key: string, token: string | undefined): boolean | undefined {
    const answer = this.#entries.get(key, this.#now());
    if (answer === undefined) return undefined;
    if (token !== undefined && token !== answer.checkedAt && token !== answer.askedAt) return undefined;
    return answer.held;
  }

  /** Stores an engine answer, replacing whatever was cached for `key`. */
  set(key: string, held: boolean, askedAt: string | undefined, checkedAt: string | undefined): void {
    const now = this.#now();
    this.#entries.set(key, { held, askedAt, checkedAt }, now + this.#ttlMs, now);
  }
}
