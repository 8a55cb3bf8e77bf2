// The last few entries stored, found by key: the checker's caches, which only
// need to serve runs of lookups of the same request type or expression.
//
// A ring of slots, not a Map with delete: with a Map that the oldest entry was
// deleted from on every insert, the young-generation GC promoted what the
// deleted entries held (measured: ~20 MB per scavenge, a third of a 5,000-type
// guard start in GC); overwritten slots are garbage at once.
export class Recent<K, V> {
  readonly #keys: (K | undefined)[];
  readonly #values: (V | undefined)[];
  #next = 0;

  constructor(size: number) {
    this.#keys = new Array<K | undefined>(size).fill(undefined);
    this.#values = new Array<V | undefined>(size).fill(undefined);
  }

  get(key: K): V | undefined {
    const at = this.#keys.indexOf(key);
    return at < 0 ? undefined : this.#values[at];
  }

  set(key: K, value: V): void {
    let at = this.#keys.indexOf(key);
    if (at < 0) {
      at = this.#next;
      this.#next = (this.#next + 1) % this.#keys.length;
    }
    this.#keys[at] = key;
    this.#values[at] = value;
  }
}
