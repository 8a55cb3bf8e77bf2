/**
 * Reviews by token digest, for a short time and a bounded number of tokens.
 * Holds the pending promise too, so concurrent calls with one token share a
 * review; a review that failed (API server unreachable) is forgotten at once.
 */
export class ReviewCache<T> {
  private readonly entries = new Map<string, { readonly until: number; readonly value: Promise<T> }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(key: string, untilAtMost: number, compute: () => Promise<T>): Promise<T> {
    const at = this.now();
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.until > at) return cached.value;
    this.entries.delete(key);
    const value = compute();
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return value;
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    // Oldest first: Map keeps insertion order.
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { until: Math.min(at + this.ttlMs, untilAtMost), value });
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
