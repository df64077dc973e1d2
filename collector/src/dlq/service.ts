/**
 * Dead-letter queues: topics matching dlqPattern. Depth (records retained), records added
 * per interval and since a mark, growth rate, and the latest records with their `dlq-*`
 * headers (docs/event-contract.md). Runs as a step of the Kafka monitor's poll cycle, on the
 * cycle's topic offsets; reads record tails with bounded fetches only when a DLQ grew.
 * Routes and metrics read the state kept here.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DLQ_HEADER, HEADER } from '@eventscope/contract';
import { CONFIG_KEYS } from '../config.ts';
import type { KafkaRecord } from '../kafka/index.ts';
import type { CycleContext, KafkaMonitor } from '../lag/index.ts';
import { globToRegExp } from '../lag/index.ts';
import { countBy, dict, dictFrom } from '../lib/safe-map.ts';

export interface DecodedValue {
  /** avro: decoded through the registry; json/utf8: text; base64: other bytes; null: no value. */
  encoding: 'avro' | 'json' | 'utf8' | 'base64' | 'null';
  schemaId: number | null;
  data: unknown;
  /** Why an Avro value could not be decoded (then encoding is base64). */
  decodeError: string | null;
  /** The value's real size in bytes. */
  sizeBytes: number;
  /** True when the value was larger than the collector shows: `data` holds its start only (utf8 or base64). */
  truncated: boolean;
}

export interface DlqRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  headers: Record<string, string>;
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: number | null;
  consumerGroup: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  attempts: number | null;
  firstFailureTime: string | null;
  lastFailureTime: string | null;
  eventId: string | null;
  eventType: string | null;
  correlationId: string | null;
  /** `dlq-*` headers whose values are not what the contract says (e.g. attempts '1.5'): the field is null, the raw value is in `headers`. */
  headerErrors: string[];
  value: DecodedValue;
}

export interface DlqMark {
  /** When the mark was set, ms since epoch. */
  at: number;
  /** End offset per partition at the mark. */
  endOffsets: Record<string, number>;
}

export interface DlqState {
  topic: string;
  partitions: number;
  /** Records retained (sum of end - start). */
  depth: number;
  endOffsetSum: number;
  /** Records added since the previous poll (null on the first). */
  addedLastInterval: number | null;
  /** Records added since the collector started watching the topic. */
  addedTotal: number;
  /** Records per second added over the status window (null with fewer than two samples). */
  growthPerSecond: number | null;
  mark: DlqMark | null;
  addedSinceMark: number | null;
  /** Last time records were added (as seen by the poll), ms. */
  lastGrowthAt: number | null;
  /** Consumer groups named in the latest records' `dlq-consumer-group` headers. */
  groups: string[];
  /** Error classes of the latest records with counts (no prototype: a class may be named `constructor`). */
  errorClasses: Record<string, number>;
  latest: DlqRecord[];
  updatedAt: number;
}

/** One poll's view of a DLQ, kept in a bounded ring per topic for the depth/growth chart. */
export interface DlqSample {
  /** When the poll ran, ms since epoch. */
  time: number;
  /** Records retained at that poll. */
  depth: number;
  /** Sum of the partitions' end offsets (only grows while the topic exists). */
  endOffsetSum: number;
  /** Records added since the previous sample (null for the first). */
  added: number | null;
}

export interface Decoder {
  decode(buffer: Buffer): Promise<unknown>;
}

export interface DlqServiceOptions {
  pattern: string;
  dataDir: string;
  statusWindow: number;
  /** Latest records kept per DLQ. */
  latestCount?: number;
  /** Bytes asked per partition when reading tails. */
  readMaxBytes?: number;
  /** Avro decoder (the schema registry); absent: values shown as text or base64. */
  decoder?: Decoder;
  /** Values larger than this are shown truncated (their start, with their real size). */
  maxValueBytes?: number;
  /** Called when a tail read had to stop before a partition's end (records after it are not shown). */
  onIncomplete?: (topic: string, partition: number, reason: string) => void;
  /** Depth samples kept per DLQ (one per poll; 720 = 1 h at the default 5 s poll). */
  historySize?: number;
}

const text = (headers: Record<string, Buffer[]>, name: string): string | null => {
  const v: unknown = Object.hasOwn(headers, name) ? headers[name]?.[0] : undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : null;
};

/**
 * A header that must hold a non-negative integer (attempts, partition, offset): the number, or
 * null when absent or not one (then `errors` says what was there; the raw value stays in `headers`).
 */
function nonNegativeInt(name: string, s: string | null, errors: string[]): number | null {
  if (s === null) return null;
  const n = /^\d{1,16}$/.test(s) ? Number(s) : NaN;
  if (Number.isSafeInteger(n)) return n;
  errors.push(`${name} '${s.slice(0, 40)}' is not a non-negative integer`);
  return null;
}

/** A UTF-8 string without control characters other than whitespace looks like text. */
function asText(buffer: Buffer, cut = false): string | undefined {
  let s = buffer.toString('utf8');
  // A prefix of a longer value may end inside a character (at most 3 bytes of it).
  if (cut) s = s.replace(/\uFFFD{1,3}$/, '');
  if (s.includes('\uFFFD')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000E-\u001F\u007F]/.test(s)) return undefined;
  return s;
}

/** JSON-safe copy of a decoded Avro value (Buffers to base64, bigints to strings). */
function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object') {
    // An Avro map's keys are data: a key `__proto__` must stay a key.
    const out = dict<unknown>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}

export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;

export async function decodeValue(
  value: Buffer | null,
  decoder: Decoder | undefined,
  maxValueBytes = DEFAULT_MAX_VALUE_BYTES,
): Promise<DecodedValue> {
  const none = { decodeError: null, truncated: false };
  if (value === null) return { encoding: 'null', schemaId: null, data: null, sizeBytes: 0, ...none };
  const sizeBytes = value.length;
  let decodeError: string | null = null;
  const avro = value.length >= 5 && value[0] === 0;
  if (value.length > maxValueBytes) {
    // Too large to show whole (a DLQ may hold records of megabytes): its start, flagged, with its size.
    const head = value.subarray(0, maxValueBytes);
    // A multi-byte character cut at the end is dropped, not shown as U+FFFD.
    const s = avro ? undefined : asText(head, true);
    return {
      encoding: s === undefined ? 'base64' : 'utf8',
      schemaId: avro ? value.readInt32BE(1) : null,
      data: s ?? head.toString('base64'),
      decodeError: null,
      sizeBytes,
      truncated: true,
    };
  }
  // Confluent wire format: magic byte 0, 4-byte schema id, Avro binary.
  if (avro) {
    const schemaId = value.readInt32BE(1);
    if (decoder) {
      try {
        return { encoding: 'avro', schemaId, data: jsonSafe(await decoder.decode(value)), sizeBytes, ...none };
      } catch (err) {
        decodeError = (err as Error).message;
      }
    }
    return { encoding: 'base64', schemaId, data: value.toString('base64'), decodeError, sizeBytes, truncated: false };
  }
  const s = asText(value);
  if (s !== undefined) {
    try {
      // A byte order mark (some .NET and Windows writers put one first) is not part of the JSON:
      // read as text, the value would be shown with its masked fields (maskFields) in clear.
      const json = s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
      return { encoding: 'json', schemaId: null, data: JSON.parse(json) as unknown, sizeBytes, ...none };
    } catch {
      return { encoding: 'utf8', schemaId: null, data: s, sizeBytes, ...none };
    }
  }
  return { encoding: 'base64', schemaId: null, data: value.toString('base64'), sizeBytes, ...none };
}

export async function toDlqRecord(
  r: KafkaRecord,
  decoder: Decoder | undefined,
  maxValueBytes = DEFAULT_MAX_VALUE_BYTES,
): Promise<DlqRecord> {
  // Header names are data: `__proto__` or `constructor` is a header like any other.
  const headers = dict<string>();
  for (const [name, values] of Object.entries(r.headers)) {
    // A header without a value is shown as an empty one (anything not a Buffer, defensively).
    const v: unknown = values[0];
    headers[name] = Buffer.isBuffer(v) ? (asText(v) ?? v.toString('base64')) : '';
  }
  const h = (name: string) => text(r.headers, name);
  const headerErrors: string[] = [];
  return {
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : (asText(r.key) ?? r.key.toString('base64')),
    headers,
    originalTopic: h(DLQ_HEADER.originalTopic),
    originalPartition: nonNegativeInt(DLQ_HEADER.originalPartition, h(DLQ_HEADER.originalPartition), headerErrors),
    originalOffset: nonNegativeInt(DLQ_HEADER.originalOffset, h(DLQ_HEADER.originalOffset), headerErrors),
    consumerGroup: h(DLQ_HEADER.consumerGroup),
    errorClass: h(DLQ_HEADER.errorClass),
    errorMessage: h(DLQ_HEADER.errorMessage),
    attempts: nonNegativeInt(DLQ_HEADER.attempts, h(DLQ_HEADER.attempts), headerErrors),
    firstFailureTime: h(DLQ_HEADER.firstFailureTime),
    lastFailureTime: h(DLQ_HEADER.lastFailureTime),
    eventId: h(HEADER.eventId),
    eventType: h(HEADER.eventType),
    correlationId: h(HEADER.correlationId),
    headerErrors,
    value: await decodeValue(r.value, decoder, maxValueBytes),
  };
}

export class DlqService {
  readonly #o: Required<Omit<DlqServiceOptions, 'decoder' | 'onIncomplete'>> &
    Pick<DlqServiceOptions, 'decoder' | 'onIncomplete'>;
  readonly #pattern: RegExp;
  readonly #marksFile: string;
  readonly #states = new Map<string, DlqState>();
  readonly #windows = new Map<string, { time: number; value: number }[]>();
  /** End offsets per DLQ when its tail was last read. */
  readonly #tailReadAt = new Map<string, string>();
  readonly #marks = new Map<string, DlqMark>();
  /** Depth samples per DLQ, oldest first, at most historySize (a ring: the oldest is dropped). */
  readonly #history = new Map<string, DlqSample[]>();

  constructor(options: DlqServiceOptions) {
    this.#o = {
      latestCount: CONFIG_KEYS.dlqLatestRecords.default,
      readMaxBytes: 256 * 1024,
      historySize: 720,
      maxValueBytes: DEFAULT_MAX_VALUE_BYTES,
      ...options,
    };
    this.#pattern = globToRegExp(options.pattern);
    this.#marksFile = path.join(options.dataDir, 'dlq-marks.json');
    try {
      const data = JSON.parse(readFileSync(this.#marksFile, 'utf8')) as Record<string, DlqMark>;
      for (const [topic, mark] of Object.entries(data)) {
        if (typeof mark?.at === 'number' && typeof mark.endOffsets === 'object') this.#marks.set(topic, mark);
      }
    } catch {
      // No marks yet (or an unreadable file): start without.
    }
  }

  /** Hooks the service into the monitor's poll cycle. */
  attach(monitor: KafkaMonitor): void {
    monitor.addCycleStep('dlq_tail', (ctx) => this.onCycle(ctx));
  }

  isDlq(topic: string): boolean {
    return this.#pattern.test(topic);
  }

  list(): DlqState[] {
    return [...this.#states.values()].sort((a, b) => (a.topic < b.topic ? -1 : 1));
  }

  get(topic: string): DlqState | undefined {
    return this.#states.get(topic);
  }

  /** Depth samples of a DLQ, oldest first (a copy); undefined for a DLQ not in the last poll. */
  history(topic: string): DlqSample[] | undefined {
    return this.#states.has(topic) ? [...(this.#history.get(topic) ?? [])] : undefined;
  }

  get historySize(): number {
    return this.#o.historySize;
  }

  /** Sets the mark at the DLQ's current end offsets (from the last poll). Undefined for an unknown DLQ. */
  mark(topic: string, now = Date.now()): DlqState | undefined {
    const state = this.#states.get(topic);
    if (!state) return undefined;
    const mark: DlqMark = { at: now, endOffsets: dictFrom(Object.entries(this.#ends.get(topic) ?? {})) };
    this.#marks.set(topic, mark);
    state.mark = mark;
    state.addedSinceMark = 0;
    this.#saveMarks();
    return state;
  }

  readonly #ends = new Map<string, Record<string, number>>();

  #saveMarks(): void {
    mkdirSync(path.dirname(this.#marksFile), { recursive: true });
    const tmp = `${this.#marksFile}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.#marks)));
    renameSync(tmp, this.#marksFile);
  }

  async onCycle(ctx: CycleContext): Promise<void> {
    const seen = new Set<string>();
    for (const t of ctx.topics.values()) {
      if (!this.isDlq(t.topic) || t.error !== null) continue;
      seen.add(t.topic);
      const ends = dict<number>();
      let depth = 0;
      for (const p of t.partitions) {
        ends[String(p.partition)] = p.end;
        depth += Math.max(0, p.end - p.start);
      }
      this.#ends.set(t.topic, ends);
      const window = this.#windows.get(t.topic) ?? [];
      const prev = window[window.length - 1];
      if (prev && t.endOffsetSum < prev.value) window.length = 0; // topic recreated
      const added = window.length > 0 && prev ? t.endOffsetSum - prev.value : null;
      window.push({ time: ctx.time, value: t.endOffsetSum });
      while (window.length > this.#o.statusWindow) window.shift();
      this.#windows.set(t.topic, window);
      const first = window[0];
      const last = window[window.length - 1];
      const growth =
        first && last && last.time > first.time ? (last.value - first.value) / ((last.time - first.time) / 1000) : null;
      const previous = this.#states.get(t.topic);
      const mark = this.#marks.get(t.topic) ?? null;
      const addedSinceMark = mark
        ? t.partitions.reduce((s, p) => s + Math.max(0, p.end - (mark.endOffsets[String(p.partition)] ?? 0)), 0)
        : null;
      const state: DlqState = {
        topic: t.topic,
        partitions: t.partitions.length,
        depth,
        endOffsetSum: t.endOffsetSum,
        addedLastInterval: added,
        addedTotal: (previous?.addedTotal ?? 0) + (added ?? 0),
        growthPerSecond: growth,
        mark,
        addedSinceMark,
        lastGrowthAt: added !== null && added > 0 ? ctx.time : (previous?.lastGrowthAt ?? null),
        groups: previous?.groups ?? [],
        errorClasses: previous?.errorClasses ?? dict<number>(),
        latest: previous?.latest ?? [],
        updatedAt: ctx.time,
      };
      this.#states.set(t.topic, state);
      const samples = this.#history.get(t.topic) ?? [];
      // A recreated topic (end offsets went back) starts a new history, as the growth window does.
      const lastSample = samples[samples.length - 1];
      if (lastSample && t.endOffsetSum < lastSample.endOffsetSum) samples.length = 0;
      samples.push({ time: ctx.time, depth, endOffsetSum: t.endOffsetSum, added });
      if (samples.length > this.#o.historySize) samples.splice(0, samples.length - this.#o.historySize);
      this.#history.set(t.topic, samples);

      // Read the tail only when the DLQ changed since the last read.
      const signature = t.partitions.map((p) => `${p.partition}:${p.start}:${p.end}`).join(',');
      if (this.#tailReadAt.get(t.topic) === signature) continue;
      try {
        state.latest = await this.#readTail(ctx, t.topic, t.partitions);
        const groups = new Set<string>();
        for (const r of state.latest) if (r.consumerGroup) groups.add(r.consumerGroup);
        state.groups = [...groups].sort();
        state.errorClasses = dictFrom(countBy(state.latest, (r) => r.errorClass ?? 'unknown'));
        this.#tailReadAt.set(t.topic, signature);
      } catch (err) {
        ctx.countError('dlq_tail', err);
      }
    }
    for (const topic of this.#states.keys()) {
      if (!seen.has(topic)) {
        this.#states.delete(topic);
        this.#windows.delete(topic);
        this.#history.delete(topic);
        this.#tailReadAt.delete(topic);
        this.#ends.delete(topic);
      }
    }
  }

  /**
   * The latest records of each partition. One fetch for all partitions first; a partition that
   * came back short of its end (a record larger than the bytes asked per partition stops the
   * fetch there, without an error: Kafka returns a batch past the limit only when it is the first
   * of the whole response) is read again from where it stopped, alone, so its next batch comes
   * whole, whatever its size. Bounded: a partition still short after `latestCount + 2` rounds, or
   * whose own fetch returns nothing (only transaction markers left), stops there and is reported.
   */
  async #readTail(
    ctx: CycleContext,
    topic: string,
    partitions: readonly { partition: number; start: number; end: number }[],
  ): Promise<DlqRecord[]> {
    const n = this.#o.latestCount;
    const ends = new Map<number, number>();
    let pending: { topic: string; partition: number; offset: number }[] = [];
    for (const p of partitions) {
      if (p.end <= p.start) continue;
      ends.set(p.partition, p.end);
      pending.push({ topic, partition: p.partition, offset: Math.max(p.start, p.end - n) });
    }
    const records: KafkaRecord[] = [];
    const options = { maxBytesPerPartition: this.#o.readMaxBytes, count: n };
    for (let round = 0; pending.length > 0; round++) {
      if (round > n + 1) {
        for (const req of pending) {
          this.#o.onIncomplete?.(topic, req.partition, `still short of the end after ${round} fetches`);
        }
        break;
      }
      // Follow-up reads go one partition per fetch: only the first batch of a response may exceed the limit.
      const reads =
        round === 0
          ? [await ctx.kafka.readRecords(pending, options)]
          : await Promise.all(pending.map((req) => ctx.kafka.readRecords([req], options)));
      const next: typeof pending = [];
      for (const req of pending) {
        const key = `${topic}\u0000${req.partition}`;
        const got = reads.find((m) => m.has(key))?.get(key) ?? [];
        records.push(...got);
        const last = got[got.length - 1];
        const end = ends.get(req.partition) ?? 0;
        if (last === undefined) {
          // [] means the broker answered with control records only (a transactional tail): done.
          // Absent and alone in its fetch: nothing came back at all, so the records there stay unseen.
          const answered = reads.some((m) => m.has(key));
          if (round === 0 && !answered) next.push(req);
          else if (!answered)
            this.#o.onIncomplete?.(topic, req.partition, `nothing came back from offset ${req.offset}`);
        } else if (last.offset + 1 < end) {
          next.push({ topic, partition: req.partition, offset: last.offset + 1 });
        }
      }
      pending = next;
    }
    records.sort((a, b) => b.timestamp - a.timestamp || b.offset - a.offset);
    return Promise.all(records.slice(0, n).map((r) => toDlqRecord(r, this.#o.decoder, this.#o.maxValueBytes)));
  }
}
