/**
 * Per-partition (end offset, time) table: the cheap fallback for time lag (the approach of
 * kafka-lag-exporter). Each poll adds the partition's end offset and when it was seen. The
 * record at offset C was produced after the last sample whose end offset was <= C and no
 * later than the first sample whose end offset was > C; we interpolate linearly between
 * the two. When C is older than the table's first sample we do NOT extrapolate: the record
 * is at least as old as that sample, and we say it is a lower bound.
 *
 * The table is persisted under dataDir (JSON, written atomically) so a restart keeps it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dict } from '../lib/safe-map.ts';

/** [end offset, time ms] */
export type Point = [offset: number, time: number];

export interface TimeEstimate {
  /** Estimated time the record was produced (ms); for a lower bound, the latest it can have been produced. */
  time: number;
  lowerBound: boolean;
}

const FILE_VERSION = 1;

/**
 * The table of one partition as kept: end offset, time, end offset, time, ... in one array of
 * doubles (stored unboxed, rather than an array object per point).
 */
type Pairs = number[];

/** Adds a sample to `pairs` (kept in time order, offsets non-decreasing) and trims it to `maxPoints`. */
function addPair(pairs: Pairs, offset: number, time: number, maxPoints: number): void {
  const n = pairs.length;
  if (n > 0 && offset < (pairs[n - 2] as number)) {
    // The end offset went backwards: the topic was deleted and recreated. Start over.
    pairs.length = 0;
  } else if (n > 0 && offset === pairs[n - 2]) {
    // Nothing produced since: the next record came after `time`. Keep the first and the
    // latest sighting of this end offset: the first says how old the records before it are
    // at least, the latest bounds when the next one was produced (lookups use the latest).
    if (n > 2 && pairs[n - 4] === offset) {
      pairs[n - 1] = Math.max(pairs[n - 1] as number, time);
      return;
    }
  }
  pairs.push(offset, time);
  while (pairs.length > maxPoints * 2) removeLeastUseful(pairs);
}

/**
 * Removes the interior point whose loss changes the interpolation least (the one closest
 * to the line between its neighbours, in time). The first point (how far back the table
 * reaches) and the last are always kept.
 */
function removeLeastUseful(pairs: Pairs): void {
  let best = 1;
  let bestError = Infinity;
  for (let i = 2; i < pairs.length - 2; i += 2) {
    const o0 = pairs[i - 2] as number;
    const t0 = pairs[i - 1] as number;
    const o1 = pairs[i] as number;
    const t1 = pairs[i + 1] as number;
    const o2 = pairs[i + 2] as number;
    const t2 = pairs[i + 3] as number;
    const estimate = o2 === o0 ? t0 : t0 + ((o1 - o0) / (o2 - o0)) * (t2 - t0);
    const error = Math.abs(estimate - t1);
    if (error < bestError) {
      bestError = error;
      best = i / 2;
    }
  }
  pairs.splice(best * 2, 2);
}

/** As estimateTime, over a partition's pairs. */
function estimatePairs(pairs: Pairs, offset: number): TimeEstimate | undefined {
  const n = pairs.length / 2;
  if (n === 0) return undefined;
  if (offset >= (pairs[(n - 1) * 2] as number)) return undefined;
  if (offset < (pairs[0] as number)) return { time: pairs[1] as number, lowerBound: true };
  // Binary search the last point with end offset <= offset.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((pairs[mid * 2] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  const o0 = pairs[lo * 2] as number;
  const t0 = pairs[lo * 2 + 1] as number;
  const o1 = pairs[lo * 2 + 2] as number;
  const t1 = pairs[lo * 2 + 3] as number;
  return { time: t0 + ((offset - o0) / (o1 - o0)) * (t1 - t0), lowerBound: false };
}

function toPairs(points: readonly Point[]): Pairs {
  const out: Pairs = [];
  for (const [offset, time] of points) out.push(offset, time);
  return out;
}

function toPoints(pairs: Pairs): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < pairs.length; i += 2) out.push([pairs[i] as number, pairs[i + 1] as number]);
  return out;
}

/**
 * Adds a sample to `points` (kept in time order, offsets non-decreasing) and trims it to
 * `maxPoints`. Returns the array (mutated).
 */
export function addPoint(points: Point[], offset: number, time: number, maxPoints: number): Point[] {
  const pairs = toPairs(points);
  addPair(pairs, offset, time, maxPoints);
  points.splice(0, points.length, ...toPoints(pairs));
  return points;
}

/**
 * When was the record at `offset` produced, according to `points`? Undefined when the table
 * is empty or the record is not produced yet (offset >= the last end offset seen).
 */
export function estimateTime(points: readonly Point[], offset: number): TimeEstimate | undefined {
  return estimatePairs(toPairs(points), offset);
}

export class OffsetTimeTable {
  /** topic -> partition -> points (as pairs). */
  readonly #points = new Map<string, Map<number, Pairs>>();
  readonly #maxPoints: number;
  readonly #file: string | undefined;
  /** Changed since loaded or saved. */
  #dirty = false;

  constructor(options: { maxPoints?: number; file?: string } = {}) {
    this.#maxPoints = Math.max(3, options.maxPoints ?? 64);
    this.#file = options.file;
  }

  static key(topic: string, partition: number): string {
    return `${topic}:${partition}`;
  }

  add(topic: string, partition: number, endOffset: number, time: number): void {
    let byPartition = this.#points.get(topic);
    if (!byPartition) {
      byPartition = new Map();
      this.#points.set(topic, byPartition);
    }
    let points = byPartition.get(partition);
    if (!points) {
      points = [];
      byPartition.set(partition, points);
    }
    addPair(points, endOffset, time, this.#maxPoints);
    this.#dirty = true;
  }

  estimate(topic: string, partition: number, offset: number): TimeEstimate | undefined {
    const points = this.#points.get(topic)?.get(partition);
    return points ? estimatePairs(points, offset) : undefined;
  }

  points(topic: string, partition: number): readonly Point[] {
    const points = this.#points.get(topic)?.get(partition);
    return points ? toPoints(points) : [];
  }

  get size(): number {
    let n = 0;
    for (const byPartition of this.#points.values()) n += byPartition.size;
    return n;
  }

  /** Forgets partitions of topics that no longer exist. */
  retainTopics(topics: ReadonlySet<string>): void {
    for (const topic of this.#points.keys()) {
      if (!topics.has(topic)) {
        this.#points.delete(topic);
        this.#dirty = true;
      }
    }
  }

  /** Loads the persisted table; a missing or unreadable file starts an empty table (returns why). */
  load(): string | undefined {
    if (!this.#file) return undefined;
    let text: string;
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : (err as Error).message;
    }
    try {
      const data = JSON.parse(text) as { version?: number; partitions?: Record<string, Point[]> };
      if (data.version !== FILE_VERSION || typeof data.partitions !== 'object' || data.partitions === null) {
        return `unexpected content in ${this.#file}; starting a new table`;
      }
      for (const [key, points] of Object.entries(data.partitions)) {
        if (!Array.isArray(points)) continue;
        const clean = points.filter(
          (p): p is Point => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]),
        );
        const colon = key.lastIndexOf(':');
        const partition = Number(key.slice(colon + 1));
        if (clean.length === 0 || colon < 0 || !Number.isInteger(partition)) continue;
        const topic = key.slice(0, colon);
        let byPartition = this.#points.get(topic);
        if (!byPartition) {
          byPartition = new Map();
          this.#points.set(topic, byPartition);
        }
        byPartition.set(partition, toPairs(clean.slice(-this.#maxPoints)));
      }
      return undefined;
    } catch (err) {
      return `cannot parse ${this.#file}: ${(err as Error).message}; starting a new table`;
    }
  }

  /** Writes the table atomically (temporary file, then rename), when it changed. */
  save(): void {
    if (!this.#file || !this.#dirty) return;
    mkdirSync(path.dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.tmp-${process.pid}`;
    const partitions = dict<Point[]>();
    for (const [topic, byPartition] of this.#points) {
      for (const [partition, points] of byPartition) {
        partitions[OffsetTimeTable.key(topic, partition)] = toPoints(points);
      }
    }
    writeFileSync(tmp, JSON.stringify({ version: FILE_VERSION, partitions }));
    renameSync(tmp, this.#file);
    this.#dirty = false;
  }
}
