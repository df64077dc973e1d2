/**
 * DLQ triage: the records the DLQ capability reads from each DLQ's tail, grouped by cause (error
 * class and message fingerprint, fingerprint.ts), each record counted once (a high-water offset
 * per DLQ partition). Per cause: count, first and last seen, original topics and groups, the
 * latest record as a sample, and a trend of counts per bucket. Bounded: at most `maxCauses`
 * causes (further records are counted as untracked), a few dozen topics and groups per cause,
 * `TREND_BUCKETS` buckets each. Kept in memory: a restart starts again from the tails.
 */
import { DLQ_HEADER } from '@eventscope/contract';
import type { DlqRecord, DlqState } from '../service.ts';
import type { Masking } from '../../masking/index.ts';
import { causeOf, type Cause } from './fingerprint.ts';
import type { DlqCause, DlqCauses } from './schemas.ts';

/** Trend buckets per cause, and their width: the last two hours in 5-minute steps. */
export const TREND_BUCKETS = 24;
export const TREND_BUCKET_MS = 5 * 60_000;
/** Bounds on what comes from outside: original topics and groups per cause, a sample message's length. */
const LIMITS = { names: 50, sampleMessage: 500 } as const;

interface Entry {
  dlq: string;
  cause: Cause;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  topics: Set<string>;
  groups: Set<string>;
  sample: { partition: number; offset: number; message: string; atMs: number };
  /** Records per bucket start (ms); only the last TREND_BUCKETS kept. */
  buckets: Map<number, number>;
}

/** One tracked (DLQ, cause) pair as the metrics read it. */
export type CauseCount = Readonly<Pick<Entry, 'dlq' | 'cause' | 'count' | 'firstSeenMs'>>;

export interface TriageOptions {
  /** Distinct (DLQ, cause) pairs tracked at most. */
  maxCauses: number;
}

const bucketOf = (ms: number): number => Math.floor(ms / TREND_BUCKET_MS) * TREND_BUCKET_MS;

export class DlqTriage {
  readonly #maxCauses: number;
  /** Keyed by DLQ topic, then fingerprint (both data: Maps only). */
  readonly #byDlq = new Map<string, Map<string, Entry>>();
  #size = 0;
  /** Highest offset counted per DLQ and partition. */
  readonly #highWater = new Map<string, Map<number, number>>();
  readonly #endSums = new Map<string, number>();
  readonly #untracked = new Map<string, number>();
  /** The `latest` array last taken per DLQ: the DLQ service replaces it only when it read the tail again. */
  readonly #taken = new Map<string, readonly DlqRecord[]>();

  constructor(options: TriageOptions) {
    this.#maxCauses = options.maxCauses;
  }

  /** Takes the DLQs' states after a poll (their latest records); forgets DLQs that are gone. */
  observe(states: readonly DlqState[], now = Date.now()): void {
    const live = new Set<string>();
    for (const s of states) {
      live.add(s.topic);
      // End offsets that went back: the topic was deleted and created again, its offsets restart.
      const previous = this.#endSums.get(s.topic);
      if (previous !== undefined && s.endOffsetSum < previous) this.#forget(s.topic);
      this.#endSums.set(s.topic, s.endOffsetSum);
      if (this.#taken.get(s.topic) === s.latest) continue;
      this.#taken.set(s.topic, s.latest);
      this.ingest(s.topic, s.latest, now);
    }
    for (const dlq of [...this.#endSums.keys()]) if (!live.has(dlq)) this.#forget(dlq);
  }

  /** Counts the records of `dlq` not counted before (offset above the partition's high-water mark). */
  ingest(dlq: string, records: readonly DlqRecord[], now = Date.now()): void {
    let marks = this.#highWater.get(dlq);
    if (!marks) this.#highWater.set(dlq, (marks = new Map<number, number>()));
    const ordered = [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    for (const r of ordered) {
      if (r.offset <= (marks.get(r.partition) ?? -1)) continue;
      marks.set(r.partition, r.offset);
      this.#count(dlq, r, now);
    }
  }

  #count(dlq: string, r: DlqRecord, now: number): void {
    const cause = causeOf(r.errorClass, r.errorMessage);
    let causes = this.#byDlq.get(dlq);
    if (!causes) this.#byDlq.set(dlq, (causes = new Map<string, Entry>()));
    // A timestamp in the future (a producer's clock, year 2500) or none (-1) counts as when it was read.
    const atMs = r.timestamp >= 0 && r.timestamp <= now ? r.timestamp : now;
    const message = (r.errorMessage ?? '').split(/\r?\n/, 1)[0]?.slice(0, LIMITS.sampleMessage) ?? '';
    let e = causes.get(cause.fingerprint);
    if (!e) {
      if (this.#size >= this.#maxCauses) {
        this.#untracked.set(dlq, (this.#untracked.get(dlq) ?? 0) + 1);
        return;
      }
      e = {
        dlq,
        cause,
        count: 0,
        firstSeenMs: atMs,
        lastSeenMs: atMs,
        topics: new Set(),
        groups: new Set(),
        sample: { partition: r.partition, offset: r.offset, message, atMs },
        buckets: new Map(),
      };
      causes.set(cause.fingerprint, e);
      this.#size++;
    }
    e.count++;
    e.firstSeenMs = Math.min(e.firstSeenMs, atMs);
    e.lastSeenMs = Math.max(e.lastSeenMs, atMs);
    if (r.originalTopic !== null && e.topics.size < LIMITS.names) e.topics.add(r.originalTopic);
    if (r.consumerGroup !== null && e.groups.size < LIMITS.names) e.groups.add(r.consumerGroup);
    if (atMs >= e.sample.atMs) e.sample = { partition: r.partition, offset: r.offset, message, atMs };
    const oldest = bucketOf(now) - (TREND_BUCKETS - 1) * TREND_BUCKET_MS;
    const bucket = bucketOf(atMs);
    if (bucket >= oldest) e.buckets.set(bucket, (e.buckets.get(bucket) ?? 0) + 1);
    for (const b of e.buckets.keys()) if (b < oldest) e.buckets.delete(b);
  }

  #forget(dlq: string): void {
    this.#size -= this.#byDlq.get(dlq)?.size ?? 0;
    this.#byDlq.delete(dlq);
    this.#highWater.delete(dlq);
    this.#endSums.delete(dlq);
    this.#untracked.delete(dlq);
    this.#taken.delete(dlq);
  }

  /** Every tracked (DLQ, cause) pair, for the metrics. */
  *entries(): Iterable<CauseCount> {
    for (const causes of this.#byDlq.values()) yield* causes.values();
  }

  /** DLQs with how many causes each tracks and how many records went untracked. */
  dlqs(): { dlq: string; causes: number; untracked: number }[] {
    return [...this.#endSums.keys()].map((dlq) => ({
      dlq,
      causes: this.#byDlq.get(dlq)?.size ?? 0,
      untracked: this.#untracked.get(dlq) ?? 0,
    }));
  }

  /**
   * The causes of one DLQ, or of all DLQs merged by fingerprint (`dlq` undefined), most records
   * first. Unless `unmasked`, what a masked `dlq-*` header gave is `***`: the class, the template
   * and the sample message (`dlq-error-message`), the topics, the groups.
   */
  causes(dlq: string | undefined, masking: Masking, unmasked: boolean, now = Date.now()): Omit<DlqCauses, 'cluster'> {
    const merged = new Map<string, Entry & { dlqs: Set<string> }>();
    let untracked = 0;
    for (const [topic, causes] of this.#byDlq) {
      if (dlq !== undefined && topic !== dlq) continue;
      for (const e of causes.values()) {
        const m = merged.get(e.cause.fingerprint);
        if (!m) {
          merged.set(e.cause.fingerprint, {
            ...e,
            topics: new Set(e.topics),
            groups: new Set(e.groups),
            buckets: new Map(e.buckets),
            dlqs: new Set([topic]),
          });
          continue;
        }
        m.count += e.count;
        m.firstSeenMs = Math.min(m.firstSeenMs, e.firstSeenMs);
        m.lastSeenMs = Math.max(m.lastSeenMs, e.lastSeenMs);
        for (const t of e.topics) m.topics.add(t);
        for (const g of e.groups) m.groups.add(g);
        m.dlqs.add(topic);
        if (e.sample.atMs > m.sample.atMs) {
          m.sample = e.sample;
          m.dlq = topic;
        }
        for (const [b, n] of e.buckets) m.buckets.set(b, (m.buckets.get(b) ?? 0) + n);
      }
    }
    for (const [topic, n] of this.#untracked) if (dlq === undefined || topic === dlq) untracked += n;
    const oldest = bucketOf(now) - (TREND_BUCKETS - 1) * TREND_BUCKET_MS;
    // What comes from a masked header is masked (the template too: it keeps a message's words).
    const text = (header: string, v: string) => (unmasked ? v : masking.headerText(header, v));
    const names = (header: string, vs: Set<string>) => {
      const sorted = [...vs].sort();
      return unmasked ? sorted : masking.headerValues(header, sorted);
    };
    const out: DlqCause[] = [...merged.values()].map((m) => ({
      fingerprint: m.cause.fingerprint,
      errorClass: text(DLQ_HEADER.errorClass, m.cause.errorClass),
      template: text(DLQ_HEADER.errorMessage, m.cause.template),
      count: m.count,
      firstSeenMs: m.firstSeenMs,
      lastSeenMs: m.lastSeenMs,
      dlqs: [...m.dlqs].sort(),
      topics: names(DLQ_HEADER.originalTopic, m.topics),
      groups: names(DLQ_HEADER.consumerGroup, m.groups),
      sample: {
        topic: m.dlq,
        partition: m.sample.partition,
        offset: String(m.sample.offset),
        message: text(DLQ_HEADER.errorMessage, m.sample.message),
      },
      trend: Array.from({ length: TREND_BUCKETS }, (_, i) => m.buckets.get(oldest + i * TREND_BUCKET_MS) ?? 0),
      bucketMs: TREND_BUCKET_MS,
    }));
    out.sort((a, b) => b.count - a.count || b.lastSeenMs - a.lastSeenMs || (a.fingerprint < b.fingerprint ? -1 : 1));
    return { causes: out, untracked };
  }
}
