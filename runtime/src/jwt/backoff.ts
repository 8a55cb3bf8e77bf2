/**
 * When a key server may be asked again: never more than one request in
 * flight (callers share it), and after failures a wait of 1 s doubling to
 * 60 s. `minGapMs` adds a floor between attempts (the unknown-kid cooldown).
 */
export class FetchGate<T> {
  #inFlight: Promise<T> | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #failures = 0;
  #lastError = "";

  constructor(private readonly load: () => Promise<T>) {}

  get failing(): boolean {
    return this.#failures > 0;
  }

  /** Whether an attempt may start now, `minGapMs` after the previous one. */
  allowed(minGapMs: number, now = Date.now()): boolean {
    if (this.#inFlight !== undefined) return true;
    const backoff = this.#failures === 0 ? 0 : Math.min(60_000, 1_000 * 2 ** (this.#failures - 1));
    return now >= this.#lastAttempt + Math.max(minGapMs, backoff);
  }

  /** Joins the attempt in flight, or starts one. */
  run(): Promise<T> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    this.#lastAttempt = Date.now();
    const attempt = this.load().then(
      (value) => {
        this.#failures = 0;
        return value;
      },
      (error: unknown) => {
        this.#failures++;
        this.#lastError = error instanceof Error ? error.message : String(error);
        throw error;
      },
    );
    this.#inFlight = attempt.finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Why the last attempt failed, for "backing off" errors. */
  get lastError(): string {
    return this.#lastError;
  }
}
