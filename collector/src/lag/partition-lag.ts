/**
 * A partition's row in the snapshot. Its status window is not copied into each snapshot: the
 * row keeps the partition's SampleWindow buffer and the bounds of its window at that poll
 * (entries there are never overwritten) and builds `samples` when someone reads it.
 */
import type { Status } from './status.ts';
import { windowSamples, type OffsetSample } from './status.ts';
import type { LagSecondsSource, PartitionLag } from './types.ts';

const NO_SAMPLES: readonly number[] = [];

export class PartitionLagRow implements PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  endOffset: number | null;
  startOffset: number | null;
  lag: number | null;
  lagSeconds: number | null;
  lagSecondsSource: LagSecondsSource;
  lagSecondsIsLowerBound: boolean;
  status: Status;
  owner: { memberId: string; clientId: string; host: string } | null;
  consumeRate: number | null;
  #buffer: readonly number[] = NO_SAMPLES;
  #start = 0;
  #end = 0;
  #samples: OffsetSample[] | undefined;

  constructor(
    topic: string,
    partition: number,
    committedOffset: number,
    endOffset: number | null,
    startOffset: number | null,
    lag: number | null,
    status: Status,
    owner: { memberId: string; clientId: string; host: string } | null,
    consumeRate: number | null,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.committedOffset = committedOffset;
    this.endOffset = endOffset;
    this.startOffset = startOffset;
    this.lag = lag;
    this.lagSeconds = lag === 0 ? 0 : null;
    this.lagSecondsSource = lag === 0 ? 'caught-up' : 'unknown';
    this.lagSecondsIsLowerBound = false;
    this.status = status;
    this.owner = owner;
    this.consumeRate = consumeRate;
  }

  /** The window: samples start..end of `buffer` (which must not change there afterwards). */
  setWindow(buffer: readonly number[], start: number, end: number): void {
    this.#buffer = buffer;
    this.#start = start;
    this.#end = end;
    this.#samples = undefined;
  }

  /** Status window, oldest first. */
  get samples(): OffsetSample[] {
    this.#samples ??= windowSamples(this.#buffer, this.#start, this.#end);
    return this.#samples;
  }

  set samples(samples: OffsetSample[]) {
    this.#samples = samples;
  }

  /** The same row with another status (a group whose offsets could not be read keeps its last rows as ERR). */
  withStatus(status: Status): PartitionLagRow {
    const copy = new PartitionLagRow(
      this.topic,
      this.partition,
      this.committedOffset,
      this.endOffset,
      this.startOffset,
      this.lag,
      status,
      this.owner,
      this.consumeRate,
    );
    copy.lagSeconds = this.lagSeconds;
    copy.lagSecondsSource = this.lagSecondsSource;
    copy.lagSecondsIsLowerBound = this.lagSecondsIsLowerBound;
    copy.setWindow(this.#buffer, this.#start, this.#end);
    copy.#samples = this.#samples;
    return copy;
  }

  toJSON(): PartitionLag {
    return {
      topic: this.topic,
      partition: this.partition,
      committedOffset: this.committedOffset,
      endOffset: this.endOffset,
      startOffset: this.startOffset,
      lag: this.lag,
      lagSeconds: this.lagSeconds,
      lagSecondsSource: this.lagSecondsSource,
      lagSecondsIsLowerBound: this.lagSecondsIsLowerBound,
      status: this.status,
      owner: this.owner,
      consumeRate: this.consumeRate,
      samples: this.samples,
    };
  }
}
