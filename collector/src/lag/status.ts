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
 * Samples a SampleWindow keeps beyond its window. A snapshot's row reads its window from the
 * ring later (see PartitionLagRow), so a push must not overwrite it: one spare sample covers the
 * next cycle's push; a monitor whose published snapshot is older than that (cycles abandoned
 * after they pushed) has the rows copy their ring first (cycle-groups.ts).
 */
export const WINDOW_SLACK = 1;

/**
 * The status window of one partition, kept in place across polls: a ring of the last
 * size + WINDOW_SLACK (time, offset, lag) triples in one array of doubles (stored unboxed; a
 * plain array is smaller than a typed array with its ArrayBuffer at this size). Samples are
 * numbered from 0 in push order; sample n is at (n % capacity) * SAMPLE_FIELDS, and the window
 * is samples start..end. A snapshot keeps (buffer, end) and reads its window later without
 * copying it each poll.
 */
export class SampleWindow {
  readonly buffer: number[];
  /** Samples pushed so far: one past the last sample. */
  end = 0;
  /** Poll in which the partition was last seen (for forgetting partitions no longer committed). */
  seen = 0;

  constructor(size: number) {
    this.buffer = new Array<number>((Math.max(1, size) + WINDOW_SLACK) * SAMPLE_FIELDS).fill(0);
  }

  /** First sample of the window. */
  get start(): number {
    return windowStart(this.buffer, this.end);
  }

  get length(): number {
    return this.end - this.start;
  }

  push(time: number, offset: number, lag: number): void {
    const i = at(this.buffer, this.end);
    this.buffer[i] = time;
    this.buffer[i + 1] = offset;
    this.buffer[i + 2] = lag;
    this.end++;
  }
}

/** The first sample of the window ending at `end` in a SampleWindow ring. */
export function windowStart(buffer: readonly number[], end: number): number {
  return Math.max(0, end - (buffer.length / SAMPLE_FIELDS - WINDOW_SLACK));
}

/** Where sample `n` starts in a SampleWindow ring. */
function at(buffer: readonly number[], n: number): number {
  return (n % (buffer.length / SAMPLE_FIELDS)) * SAMPLE_FIELDS;
}

/** Samples start..end of a SampleWindow ring as objects, oldest first. */
export function windowSamples(buffer: readonly number[], start: number, end: number): OffsetSample[] {
  const out: OffsetSample[] = new Array<OffsetSample>(Math.max(0, end - start));
  for (let i = start; i < end; i++) {
    const j = at(buffer, i);
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
  const currentLag = buffer[at(buffer, end - 1) + 2] as number;
  const windowed = end - start >= 2;
  if (!windowed) return 'OK';
  let rewound = false;
  let unchanged = true;
  let previousLag = buffer[at(buffer, start) + 2] as number;
  let previousOffset = buffer[at(buffer, start) + 1] as number;
  let caughtUpOnce = previousLag <= tolerance;
  let lagNeverDecreased = true;
  for (let i = start + 1; i < end; i++) {
    const j = at(buffer, i);
    const offset = buffer[j + 1] as number;
    const lag = buffer[j + 2] as number;
    if (offset < previousOffset) rewound = true;
    if (offset !== previousOffset) unchanged = false;
    if (lag <= tolerance) caughtUpOnce = true;
    if (lag < previousLag) lagNeverDecreased = false;
    previousOffset = offset;
    previousLag = lag;
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
  const f = at(buffer, start);
  let previousOffset = buffer[f + 1] as number;
  for (let i = start + 1; i < end; i++) {
    const offset = buffer[at(buffer, i) + 1] as number;
    if (offset < previousOffset) return null;
    previousOffset = offset;
  }
  const l = at(buffer, end - 1);
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
