interface Slot<V> {
  readonly value: V;
  /** When the entry stops being served, on the caller's clock. */
  readonly until: number;
  /** Served since it was stored or last spared: spared once more at eviction. */
  used: boolean;
}

/**
 * A bounded map of entries that expire, for caches read on every call.
 *
 * Eviction is second-chance LRU (CLOCK): a hit only marks its entry used;
 * when the map is full, the oldest entry leaves unless it was used, in which
 * case it moves to the back once. Strict LRU would move the entry on every
 * hit, a Map delete and insert per call that keeps the garbage collector busy
 * on a hot server.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, Slot<V>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): V | undefined {
    const slot = this.#entries.get(key);
    if (slot === undefined) return undefined;
    if (now >= slot.until) {
      this.#entries.delete(key);
      return undefined;
    }
    slot.used = true;
    return slot.value;
  }

  /** Stores `value` until `until` (on the same clock as `now`); when full, the oldest unused entry leaves first. */
  set(key: string, value: V, until: number, now: number): void {
    if (until <= now) return;
    // Room is made before the entry goes in, so that the new entry is never the one evicted.
    if (!this.#entries.delete(key) && this.#entries.size >= this.maxEntries) this.#evictOne(now);
    this.#entries.set(key, { value, until, used: false });
  }

  /** Forgets every entry whose value matches. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, slot] of this.#entries) if (matches(slot.value)) this.#entries.delete(key);
  }

  /** Removes the oldest entry not used since it was stored or spared: at most two passes. */
  #evictOne(now: number): void {
    for (const [key, slot] of this.#entries) {
      this.#entries.delete(key);
      if (!slot.used || now >= slot.until) return;
      slot.used = false;
      this.#entries.set(key, slot);
    }
  }
}
