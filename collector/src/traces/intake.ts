/**
 * The intake queue between the OTLP receivers and the span consumer (flows/): bounded by a
 * number of spans, so a receiver can refuse with 503 + Retry-After instead of growing memory
 * or dropping. One drain loop hands the consumer chunks of spans, one at a time.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { SpanData } from './span.ts';

export type SpanConsumer = (spans: SpanData[]) => Promise<void>;

export interface IntakeOptions {
  /** Spans waiting at most; more is refused. */
  limit: number;
  /** Spans handed to the consumer at once (one store transaction). */
  chunk?: number;
  /**
   * Chunks handed to the consumer before the first of them is done. 2 keeps a store that writes on
   * another thread busy while this thread prepares the next chunk; chunks are still started in order.
   */
  inFlight?: number;
  log: FastifyBaseLogger;
  /** Called with the number of spans the consumer failed on (they are logged and counted, never silent). */
  onConsumerError?: (spans: number, err: unknown) => void;
}

export class IntakeQueue {
  readonly limit: number;
  readonly #chunk: number;
  readonly #inFlight: number;
  readonly #log: FastifyBaseLogger;
  readonly #onError: ((spans: number, err: unknown) => void) | undefined;
  #queue: SpanData[][] = [];
  #depth = 0;
  #consumer: SpanConsumer | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;
  /** Spans in the last request refused for room (0 after an accepted one). */
  #refusedSize = 0;

  constructor(options: IntakeOptions) {
    this.limit = options.limit;
    this.#chunk = options.chunk ?? 8000;
    this.#inFlight = Math.max(1, options.inFlight ?? 2);
    this.#log = options.log;
    this.#onError = options.onConsumerError;
  }

  /** Spans accepted and not yet consumed. */
  get depth(): number {
    return this.#depth;
  }

  /**
   * True when a request like the last one refused would be refused again (or the queue is closed):
   * a receiver answers 503 before decoding the body, so exporters retrying against a full queue
   * cost no decoding. The first refusal is decided (and its spans counted) by `offer`.
   */
  get full(): boolean {
    return this.#closed || (this.#depth > 0 && this.#depth + this.#refusedSize > this.limit);
  }

  setConsumer(consumer: SpanConsumer): void {
    this.#consumer = consumer;
    this.#kick();
  }

  /**
   * Takes the spans, or returns false when they do not fit (the caller answers 503). A request
   * larger than the whole queue is still taken when the queue is empty, so it can never be
   * refused forever.
   */
  offer(spans: SpanData[]): boolean {
    if (this.#closed) return false;
    if (spans.length === 0) return true;
    if (this.#depth > 0 && this.#depth + spans.length > this.limit) {
      this.#refusedSize = spans.length;
      return false;
    }
    this.#refusedSize = 0;
    this.#queue.push(spans);
    this.#depth += spans.length;
    this.#kick();
    return true;
  }

  #kick(): void {
    if (this.#draining || !this.#consumer || this.#queue.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const running = new Set<Promise<void>>();
    while (this.#queue.length > 0 || running.size > 0) {
      if (this.#queue.length === 0 || running.size >= this.#inFlight) {
        await Promise.race(running);
        continue;
      }
      const chunk: SpanData[] = [];
      while (chunk.length < this.#chunk && this.#queue.length > 0) {
        const head = this.#queue[0] as SpanData[];
        const room = this.#chunk - chunk.length;
        if (head.length <= room) {
          chunk.push(...head);
          this.#queue.shift();
        } else {
          chunk.push(...head.slice(0, room));
          this.#queue[0] = head.slice(room);
        }
      }
      const done = this.#consume(chunk).finally(() => running.delete(done));
      running.add(done);
      // Let requests and timers run between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Hands one chunk to the consumer; never rejects (a failure is logged and counted). */
  async #consume(chunk: SpanData[]): Promise<void> {
    try {
      await (this.#consumer as SpanConsumer)(chunk);
    } catch (err) {
      this.#log.error({ err, spans: chunk.length }, 'storing spans failed; they are lost');
      this.#onError?.(chunk.length, err);
    }
    this.#depth -= chunk.length;
  }

  /** Resolves when every span accepted so far has been consumed. */
  async flush(): Promise<void> {
    while (this.#draining || (this.#queue.length > 0 && this.#consumer)) {
      this.#kick();
      await this.#draining;
    }
  }

  /** Refuses new spans, then consumes what was accepted. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}
