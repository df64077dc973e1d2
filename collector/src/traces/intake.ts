/**
 * The intake queue between the OTLP receivers and the span consumer (flows/): bounded by a
 * number of spans, so a receiver can refuse with 503 + Retry-After instead of growing memory
 * or dropping. One drain loop hands the consumer chunks, one at a time.
 *
 * A consumer may give a `prepare` step, run as spans are accepted, that turns them into what it
 * needs (flows: the messaging hops, without the attribute dictionaries): the queue then holds
 * that, so the decoded spans die young instead of waiting in the queue through several garbage
 * collections (with a full queue under load, they were promoted to the old generation).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { SpanData } from './span.ts';

export type SpanConsumer = (spans: SpanData[]) => Promise<void>;
/** Turns accepted spans into the items queued for the consumer (fewer is fine: spans it does not need). */
export type SpanPreparer<T> = (spans: SpanData[]) => T[];

/** Called once every item of one offer has been consumed: `ok` false when the consumer failed on any of them. */
export type OnStored = (ok: boolean) => void;

/** The items of one offer still to be consumed, for its `OnStored`. */
interface StoredTracker {
  remaining: number;
  ok: boolean;
  done: OnStored;
}

/** Spans as accepted, and whether they are still to be prepared (they came before the consumer). */
interface Entry {
  items: unknown[];
  raw: boolean;
  /** Who sent them (see `offer`). */
  client: string;
  tracker?: StoredTracker;
}

/** Counts `n` items of a tracker as consumed; calls it back when none remain. */
function settle(tracker: StoredTracker | undefined, n: number, ok: boolean): void {
  if (!tracker) return;
  tracker.remaining -= n;
  if (!ok) tracker.ok = false;
  if (tracker.remaining <= 0) tracker.done(tracker.ok);
}

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
  /**
   * Above this share of `limit` the queue is under pressure and each client gets a fair share of
   * the high-water mark (it divided by the clients holding spans); the rest up to `limit` stays
   * free for the others. Default 0.8.
   */
  highWater?: number;
}

/** Why the last `offer` was refused: the queue is full, or the client holds more than its fair share. */
export type Refusal = 'full' | 'share' | 'closed';

export class IntakeQueue {
  readonly limit: number;
  readonly #chunk: number;
  readonly #inFlight: number;
  readonly #log: FastifyBaseLogger;
  readonly #onError: ((spans: number, err: unknown) => void) | undefined;
  #queue: Entry[] = [];
  /** Items queued or being consumed (spans, or what `prepare` made of them). */
  #depth = 0;
  #consumer: ((items: unknown[]) => Promise<void>) | undefined;
  #prepare: SpanPreparer<unknown> | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;
  /** Spans in the last request refused for room (0 after an accepted one). */
  #refusedSize = 0;
  readonly #highWater: number;
  /** Items queued or being consumed per client (clients without any are removed). */
  readonly #byClient = new Map<string, number>();
  /** Why the last refused offer was refused. */
  lastRefusal: Refusal | null = null;

  constructor(options: IntakeOptions) {
    this.limit = options.limit;
    this.#chunk = options.chunk ?? 8000;
    this.#inFlight = Math.max(1, options.inFlight ?? 2);
    this.#log = options.log;
    this.#onError = options.onConsumerError;
    this.#highWater = Math.floor(this.limit * (options.highWater ?? 0.8));
  }

  #count(client: string, n: number): void {
    const v = (this.#byClient.get(client) ?? 0) + n;
    if (v > 0) this.#byClient.set(client, v);
    else this.#byClient.delete(client);
  }

  /** Items a client has queued or being consumed. */
  heldBy(client: string): number {
    return this.#byClient.get(client) ?? 0;
  }

  /** A client's fair share while the queue is under pressure: the high-water mark over the clients holding spans. */
  fairShare(client: string): number {
    const clients = this.#byClient.size + (this.#byClient.has(client) ? 0 : 1);
    return Math.max(1, Math.floor(this.#highWater / clients));
  }

  /** Spans accepted and not yet consumed (counted as prepared: spans the consumer does not need are not waiting). */
  get depth(): number {
    return this.#depth;
  }

  /**
   * True when a request like the last one refused would be refused again (or the queue is closed):
   * a receiver answers 503 before decoding the body, so exporters retrying against a full queue
   * cost no decoding. The first refusal is decided (and its spans counted) by `offer`.
   */
  get full(): boolean {
    return this.wouldRefuse(this.#refusedSize);
  }

  /** True when a request of `spans` spans could not fit now, whoever sent it (or the queue is closed). */
  wouldRefuse(spans: number): boolean {
    return this.#closed || (this.#depth > 0 && this.#depth + spans > this.limit);
  }

  /**
   * Sets who consumes the queue: chunks of spans, or, with `prepare`, chunks of what it made of
   * them as they were accepted. Spans queued before are prepared now.
   */
  setConsumer(consumer: SpanConsumer): void;
  setConsumer<T>(consumer: (items: T[]) => Promise<void>, prepare: SpanPreparer<T>): void;
  setConsumer<T>(consumer: (items: T[]) => Promise<void>, prepare?: SpanPreparer<T>): void {
    this.#consumer = consumer as (items: unknown[]) => Promise<void>;
    this.#prepare = prepare;
    for (const e of this.#queue) {
      if (!e.raw) continue;
      const items = this.#prepared(e.items as SpanData[]);
      this.#depth += items.length - e.items.length;
      this.#count(e.client, items.length - e.items.length);
      if (e.tracker) e.tracker.remaining = items.length;
      e.items = items;
      e.raw = false;
      if (items.length === 0) settle(e.tracker, 0, true);
    }
    this.#queue = this.#queue.filter((e) => e.items.length > 0);
    this.#kick();
  }

  /** The consumer's items for `spans` (the spans themselves without a `prepare`); [] if it failed. */
  #prepared(spans: SpanData[]): unknown[] {
    if (!this.#prepare) return spans;
    try {
      return this.#prepare(spans);
    } catch (err) {
      this.#log.error({ err, spans: spans.length }, 'preparing spans failed; they are lost');
      this.#onError?.(spans.length, err);
      return [];
    }
  }

  /**
   * Takes the spans of `client` (the receiver uses the resource's service.name, else the remote
   * address), or returns false when they do not fit (the caller answers 503; `lastRefusal` says
   * why). A request larger than the whole queue is still taken when the queue is empty, so it can
   * never be refused forever. Above the high-water mark a client already holding its fair share is
   * refused while others are still taken: one flooding client cannot starve the rest.
   * `onStored`, for a taken offer, is called once the consumer is done with all of it (at once when
   * nothing of it needed storing): the Kafka receiver commits offsets only then.
   */
  offer(spans: SpanData[], client = '', onStored?: OnStored): boolean {
    if (this.#closed) {
      this.lastRefusal = 'closed';
      return false;
    }
    if (spans.length === 0) {
      onStored?.(true);
      return true;
    }
    if (this.#depth > 0 && this.#depth + spans.length > this.limit) {
      this.#refusedSize = spans.length;
      this.lastRefusal = 'full';
      return false;
    }
    if (this.#depth > 0 && this.#depth + spans.length > this.#highWater) {
      const held = this.heldBy(client);
      if (held > 0 && held + spans.length > this.fairShare(client)) {
        this.lastRefusal = 'share';
        return false;
      }
    }
    this.#refusedSize = 0;
    const raw = this.#consumer === undefined;
    const items = raw ? spans : this.#prepared(spans);
    if (items.length === 0) {
      onStored?.(true);
      return true;
    }
    const tracker = onStored ? { remaining: items.length, ok: true, done: onStored } : undefined;
    this.#queue.push({ items, raw, client, tracker });
    this.#depth += items.length;
    this.#count(client, items.length);
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
      const chunk: unknown[] = [];
      const clients = new Map<string, number>();
      const trackers = new Map<StoredTracker, number>();
      while (chunk.length < this.#chunk && this.#queue.length > 0) {
        const head = this.#queue[0] as Entry;
        const room = this.#chunk - chunk.length;
        const n = Math.min(room, head.items.length);
        clients.set(head.client, (clients.get(head.client) ?? 0) + n);
        if (head.tracker) trackers.set(head.tracker, (trackers.get(head.tracker) ?? 0) + n);
        if (head.items.length <= room) {
          chunk.push(...head.items);
          this.#queue.shift();
        } else {
          chunk.push(...head.items.slice(0, room));
          head.items = head.items.slice(room);
        }
      }
      const done = this.#consume(chunk, clients, trackers).finally(() => running.delete(done));
      running.add(done);
      // Let requests and timers run between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Hands one chunk to the consumer; never rejects (a failure is logged and counted). */
  async #consume(chunk: unknown[], clients: Map<string, number>, trackers: Map<StoredTracker, number>): Promise<void> {
    let ok = true;
    try {
      await (this.#consumer as (items: unknown[]) => Promise<void>)(chunk);
    } catch (err) {
      ok = false;
      this.#log.error({ err, spans: chunk.length }, 'storing spans failed; they are lost');
      this.#onError?.(chunk.length, err);
    }
    this.#depth -= chunk.length;
    for (const [client, n] of clients) this.#count(client, -n);
    for (const [tracker, n] of trackers) settle(tracker, n, ok);
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
