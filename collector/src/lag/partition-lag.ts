/**
 * A partition's row in the snapshot. Its status window is not copied into each snapshot: the
 * row keeps the partition's SampleWindow buffer and the bounds of its window at that poll
 * (entries there are never overwritten) and builds `samples` when someone reads it.
 */
import { windowSamples, type OffsetSample, type Status } from './status.ts';
import type { PartitionLag } from './types.ts';

const NO_SAMPLES: readonly number[] = [];

/** What a row is built from; its time lag starts unknown (0 when caught up) and is set later in the cycle. */
export type PartitionLagFields = Pick<
  PartitionLag,
  'topic' | 'partition' | 'committedOffset' | 'endOffset' | 'startOffset' | 'lag' | 'status' | 'owner' | 'consumeRate'
>;

// The row's fields are PartitionLag's, written once there: the interface merges them into the class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- fields only; each is set in the constructor
export interface PartitionLagRow extends Omit<PartitionLag, 'samples'> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class PartitionLagRow implements PartitionLag {
  #buffer: readonly number[] = NO_SAMPLES;
  #start = 0;
  #end = 0;
  #samples: OffsetSample[] | undefined;

  constructor(o: PartitionLagFields) {
    this.topic = o.topic;
    this.partition = o.partition;
    this.committedOffset = o.committedOffset;
    this.endOffset = o.endOffset;
    this.startOffset = o.startOffset;
    this.lag = o.lag;
    this.lagSeconds = o.lag === 0 ? 0 : null;
    this.lagSecondsSource = o.lag === 0 ? 'caught-up' : 'unknown';
    this.lagSecondsIsLowerBound = false;
    this.status = o.status;
    this.owner = o.owner;
    this.consumeRate = o.consumeRate;
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
    const copy = new PartitionLagRow({ ...this.#fields(), status });
    copy.lagSeconds = this.lagSeconds;
    copy.lagSecondsSource = this.lagSecondsSource;
    copy.lagSecondsIsLowerBound = this.lagSecondsIsLowerBound;
    copy.setWindow(this.#buffer, this.#start, this.#end);
    copy.#samples = this.#samples;
    return copy;
  }

  #fields(): PartitionLagFields {
    return {
      topic: this.topic,
      partition: this.partition,
      committedOffset: this.committedOffset,
      endOffset: this.endOffset,
      startOffset: this.startOffset,
      lag: this.lag,
      status: this.status,
      owner: this.owner,
      consumeRate: this.consumeRate,
    };
  }

  toJSON(): PartitionLag {
    return {
      ...this.#fields(),
      lagSeconds: this.lagSeconds,
      lagSecondsSource: this.lagSecondsSource,
      lagSecondsIsLowerBound: this.lagSecondsIsLowerBound,
      samples: this.samples,
    };
  }
}
