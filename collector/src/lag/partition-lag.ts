/**
 * A partition's row in the snapshot. Its status window is not copied into each snapshot: the
 * row keeps the partition's SampleWindow ring and where its window ended at that poll (the ring
 * keeps it through the next push; see WINDOW_SLACK and `detach`) and builds `samples` when
 * someone reads it.
 */
import { windowSamples, windowStart, type OffsetSample, type Status } from './status.ts';
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

  /** The window: the samples of SampleWindow ring `buffer` that end at `end`. */
  setWindow(buffer: readonly number[], end: number): void {
    this.#buffer = buffer;
    this.#end = end;
    this.#samples = undefined;
  }

  /** Keeps a copy of the ring, for a row that must outlive more pushes than the ring has room for. */
  detach(): void {
    if (this.#samples === undefined && this.#buffer !== NO_SAMPLES) this.#buffer = this.#buffer.slice();
  }

  /** Status window, oldest first. */
  get samples(): OffsetSample[] {
    this.#samples ??= windowSamples(this.#buffer, windowStart(this.#buffer, this.#end), this.#end);
    return this.#samples;
  }

  set samples(samples: OffsetSample[]) {
    this.#samples = samples;
  }

  /** The same row with another status (a group whose offsets could not be read keeps its last rows as ERR). */
  withStatus(status: Status): PartitionLagRow {
    const copy = new PartitionLagRow({ ...fieldsOf(this), status });
    copy.lagSeconds = this.lagSeconds;
    copy.lagSecondsSource = this.lagSecondsSource;
    copy.lagSecondsIsLowerBound = this.lagSecondsIsLowerBound;
    copy.setWindow(this.#buffer, this.#end);
    copy.#samples = this.#samples;
    return copy;
  }

  toJSON(): PartitionLag {
    return {
      ...fieldsOf(this),
      lagSeconds: this.lagSeconds,
      lagSecondsSource: this.lagSecondsSource,
      lagSecondsIsLowerBound: this.lagSecondsIsLowerBound,
      samples: this.samples,
    };
  }
}

/** The fields a row is built from (a function, not a private method: that costs every row a slot). */
function fieldsOf(row: PartitionLagRow): PartitionLagFields {
  return {
    topic: row.topic,
    partition: row.partition,
    committedOffset: row.committedOffset,
    endOffset: row.endOffset,
    startOffset: row.startOffset,
    lag: row.lag,
    status: row.status,
    owner: row.owner,
    consumeRate: row.consumeRate,
  };
}
