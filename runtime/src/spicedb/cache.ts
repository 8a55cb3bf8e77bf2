/**
 * A bounded decision cache: least recently used entries go first, and an
 * entry older than its TTL is never returned. Only definite answers from the
 * engine are stored; errors and conditional answers never are.
 */
export interface DecisionCacheOptions {
  /** Most entries kept; the least recently used is dropped beyond it. */
  readonly maxEntries: number;
  /** How long an answer may be reused, in milliseconds: the staleness you accept. */
  readonly ttlMs: number;
  /** Clock in milliseconds; tests move it. Defaults to performance.now. */
  readonly now?: () => number;
}

export class DecisionCache {
  readonly #entries = new Map<string, { readonly held: boolean; readonly expires: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: DecisionCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`decision cache: maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
      throw new RangeError(`decision cache: ttlMs must be a positive number of milliseconds, got ${options.ttlMs}`);
    }
    this.#maxEntries = options.maxEntries;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): boolean | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= this.#now()) return undefined;
    this.#entries.set(key, entry); // most recently used goes last
    return entry.held;
  }

  set(key: string, held: boolean): void {
    this.#entries.delete(key);
    this.#entries.set(key, { held, expires: this.#now() + this.#ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }
}
