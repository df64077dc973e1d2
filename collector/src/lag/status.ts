/**
 * Consumer status rules, after Burrow's window evaluation (linkedin/Burrow,
 * core/internal/evaluator), adapted to offsets sampled by a poller (Burrow reads commits
 * from __consumer_offsets and knows each commit's time; we know when we looked).
 *
 * For one partition, over the last `statusWindow` samples (oldest first), in this order:
 *  1. ERR    the offsets could not be read this cycle (decided by the caller).
 *  2. STOP   lag > tolerance, no live member owns the partition, and the committed offset
 *            did not move over the window: nobody is consuming it (Burrow: the consumer
 *            stopped committing).
 *  3. OK     caught up: current lag <= tolerance.
 *  4. REWIND the committed offset went backwards between two samples (a reset or replay).
 *  5. OK     the lag was <= tolerance at some sample of the window (Burrow rule 1, with the
 *            tolerance): the consumer caught up recently, a burst is not a problem.
 *  6. STALL  the committed offset did not move over the window while there is lag (a live
 *            member owns the partition but does not progress).
 *  7. WARN   the offset moves but the lag never decreased between two samples: the consumer
 *            is slower than the producers.
 *  8. OK     otherwise.
 * Then the time budget: a partition whose oldest unconsumed record is older than the
 * budget (`lagBudgetSeconds`) is at least WARN, whatever the trend: a consumer that keeps
 * pace but is 30 s behind is behind (see `withinBudget`).
 * REWIND is checked before rule 5 so that a group reset from a caught-up position is seen
 * (in Burrow's order the caught-up sample would hide it for the whole window). Rules 2, 4,
 * 6 and 7 need at least two samples.
 *
 * The group's status is its worst partition's, by the severity order below.
 */

export type Status = 'OK' | 'WARN' | 'REWIND' | 'STALL' | 'STOP' | 'ERR';

/** Severity order and the numeric code exported in `eventscope_consumergroup_status`. */
export const STATUS_CODES: Readonly<Record<Status, number>> = Object.freeze({
  OK: 0,
  WARN: 1,
  REWIND: 2,
  STALL: 3,
  STOP: 4,
  ERR: 5,
});

export const STATUSES: readonly Status[] = ['OK', 'WARN', 'REWIND', 'STALL', 'STOP', 'ERR'];

export interface OffsetSample {
  /** When the sample was taken, ms since epoch. */
  time: number;
  /** The group's committed offset. */
  offset: number;
  /** Lag in messages (end offset - committed, clamped to >= 0). */
  lag: number;
}

export interface PartitionStatusInput {
  /** Samples in time order, oldest first, the last one current; at most the status window. */
  samples: readonly OffsetSample[];
  /** Lag at or below which the partition counts as caught up. */
  tolerance: number;
  /** A live member of the group has this partition assigned (or the group has members and no decodable assignment). */
  owned: boolean;
  /** The offsets could not be read this cycle. */
  error?: boolean;
}

export function partitionStatus(input: PartitionStatusInput): Status {
  const { samples, tolerance, owned } = input;
  if (input.error) return 'ERR';
  const window = new SampleWindow(samples.length);
  for (const s of samples) window.push(s.time, s.offset, s.lag);
  return windowStatus(window.buffer, window.start, window.end, tolerance, owned);
}

/** Fields per sample in a SampleWindow buffer: time, committed offset, lag. */
export const SAMPLE_FIELDS = 3;

/**
 * The status window of one partition, kept in place across polls: an append-only buffer of
 * (time, offset, lag) triples. Entries before `end` are never written again (a full buffer is
 * replaced by a new one holding the last samples), so a snapshot can keep (buffer, start, end)
 * and read its window later without copying it each poll. A plain array of numbers (doubles
 * stored unboxed, cheaper to allocate than a typed array); `stagger` varies the spare room so
 * that windows created together are not all replaced in the same poll.
 */
export class SampleWindow {
  buffer: number[];
  /** First sample of the window (index in samples, not in numbers). */
  start = 0;
  /** One past the last sample. */
  end = 0;
  /** Poll in which the partition was last seen (for forgetting partitions no longer committed). */
  seen = 0;
  readonly #size: number;
  readonly #capacity: number;

  constructor(size: number, stagger = 0) {
    this.#size = Math.max(1, size);
    this.#capacity = this.#size + Math.max(4, Math.min(this.#size, 32)) + (Math.abs(stagger) % 8);
    this.buffer = newBuffer(this.#capacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  push(time: number, offset: number, lag: number): void {
    if (this.end === this.#capacity) {
      const keep = Math.min(this.#size - 1, this.end - this.start);
      const next = newBuffer(this.#capacity);
      const from = (this.end - keep) * SAMPLE_FIELDS;
      for (let i = 0; i < keep * SAMPLE_FIELDS; i++) next[i] = this.buffer[from + i] as number;
      this.buffer = next;
      this.start = 0;
      this.end = keep;
    }
    const i = this.end * SAMPLE_FIELDS;
    this.buffer[i] = time;
    this.buffer[i + 1] = offset;
    this.buffer[i + 2] = lag;
    this.end++;
    if (this.end - this.start > this.#size) this.start = this.end - this.#size;
  }
}

function newBuffer(samples: number): number[] {
  return new Array<number>(samples * SAMPLE_FIELDS).fill(0);
}

/** Samples start..end of a SampleWindow buffer as objects, oldest first. */
export function windowSamples(buffer: readonly number[], start: number, end: number): OffsetSample[] {
  const out: OffsetSample[] = new Array<OffsetSample>(end - start);
  for (let i = start; i < end; i++) {
    const j = i * SAMPLE_FIELDS;
    out[i - start] = { time: buffer[j] as number, offset: buffer[j + 1] as number, lag: buffer[j + 2] as number };
  }
  return out;
}

/**
 * The status rules (see the top of this file) over samples start..end of a SampleWindow
 * buffer, in one pass over the window.
 */
export function windowStatus(
  buffer: readonly number[],
  start: number,
  end: number,
  tolerance: number,
  owned: boolean,
): Status {
  if (end <= start) return 'OK';
  const currentLag = buffer[(end - 1) * SAMPLE_FIELDS + 2] as number;
  const windowed = end - start >= 2;
  if (!windowed) return 'OK';
  let rewound = false;
  let unchanged = true;
  let caughtUpOnce = (buffer[start * SAMPLE_FIELDS + 2] as number) <= tolerance;
  let lagNeverDecreased = true;
  for (let i = start + 1; i < end; i++) {
    const j = i * SAMPLE_FIELDS;
    const offset = buffer[j + 1] as number;
    const previousOffset = buffer[j + 1 - SAMPLE_FIELDS] as number;
    const lag = buffer[j + 2] as number;
    if (offset < previousOffset) rewound = true;
    if (offset !== previousOffset) unchanged = false;
    if (lag <= tolerance) caughtUpOnce = true;
    if (lag < (buffer[j + 2 - SAMPLE_FIELDS] as number)) lagNeverDecreased = false;
  }
  if (currentLag > tolerance && !owned && unchanged) return 'STOP';
  if (currentLag <= tolerance) return 'OK';
  if (rewound) return 'REWIND';
  if (caughtUpOnce) return 'OK';
  if (unchanged) return 'STALL';
  if (lagNeverDecreased) return 'WARN';
  return 'OK';
}

/**
 * Records per second consumed over samples start..end (first to last committed offset);
 * null with fewer than two samples, no time between them, or an offset that went backwards.
 */
export function windowConsumeRate(buffer: readonly number[], start: number, end: number): number | null {
  if (end - start < 2) return null;
  for (let i = start + 1; i < end; i++) {
    const j = i * SAMPLE_FIELDS + 1;
    if ((buffer[j] as number) < (buffer[j - SAMPLE_FIELDS] as number)) return null;
  }
  const f = start * SAMPLE_FIELDS;
  const l = (end - 1) * SAMPLE_FIELDS;
  const firstTime = buffer[f] as number;
  const lastTime = buffer[l] as number;
  if (lastTime <= firstTime) return null;
  const delta = (buffer[l + 1] as number) - (buffer[f + 1] as number);
  if (delta < 0) return null;
  return delta / ((lastTime - firstTime) / 1000);
}

/** The worst of `statuses` (OK for none). */
export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'OK';
  for (const s of statuses) if (STATUS_CODES[s] > STATUS_CODES[worst]) worst = s;
  return worst;
}

/**
 * The time budget on top of the window rules: a partition the rules find OK whose lag in
 * seconds exceeds the budget is WARN (behind). Worse statuses stay; an unknown age (null)
 * never raises it.
 */
export function withinBudget(status: Status, lagSeconds: number | null, budgetSeconds: number | undefined): Status {
  if (status !== 'OK' || lagSeconds === null || budgetSeconds === undefined) return status;
  return lagSeconds > budgetSeconds ? 'WARN' : status;
}
