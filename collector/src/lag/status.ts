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

export function offsetsRewound(samples: readonly OffsetSample[]): boolean {
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i] as OffsetSample).offset < (samples[i - 1] as OffsetSample).offset) return true;
  }
  return false;
}

export function offsetsUnchanged(samples: readonly OffsetSample[]): boolean {
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i] as OffsetSample).offset !== (samples[i - 1] as OffsetSample).offset) return false;
  }
  return true;
}

export function lagNeverDecreased(samples: readonly OffsetSample[]): boolean {
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i] as OffsetSample).lag < (samples[i - 1] as OffsetSample).lag) return false;
  }
  return true;
}

export function partitionStatus(input: PartitionStatusInput): Status {
  const { samples, tolerance, owned } = input;
  if (input.error) return 'ERR';
  const current = samples[samples.length - 1];
  if (!current) return 'OK';
  const windowed = samples.length >= 2;
  if (windowed && current.lag > tolerance && !owned && offsetsUnchanged(samples)) return 'STOP';
  if (current.lag <= tolerance) return 'OK';
  if (!windowed) return 'OK';
  if (offsetsRewound(samples)) return 'REWIND';
  if (samples.some((s) => s.lag <= tolerance)) return 'OK';
  if (offsetsUnchanged(samples)) return 'STALL';
  if (lagNeverDecreased(samples)) return 'WARN';
  return 'OK';
}

/** The worst of `statuses` (OK for none). */
export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'OK';
  for (const s of statuses) if (STATUS_CODES[s] > STATUS_CODES[worst]) worst = s;
  return worst;
}
