/**
 * A token bucket for a redrive's records per second: tokens accrue continuously at the rate, up
 * to `capacity`; `take(n)` waits until n are there. Starts empty, so the first second sends
 * `rate` records, not a burst on top of them.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  #tokens = 0;
  #last = performance.now();

  constructor(ratePerSecond: number, capacity: number) {
    this.#rate = ratePerSecond;
    this.#capacity = Math.max(1, capacity);
  }

  /** Waits for n tokens (n at most the capacity); rejects with the signal's reason when aborted. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    const want = Math.min(n, this.#capacity);
    for (;;) {
      const now = performance.now();
      this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
      this.#last = now;
      if (this.#tokens >= want) {
        this.#tokens -= want;
        return;
      }
      await sleep(Math.ceil(((want - this.#tokens) / this.#rate) * 1000), undefined, { signal });
    }
  }
}
