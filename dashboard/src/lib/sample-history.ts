/**
 * Client-side history of values the collector only reports "now" (DLQ depth): each new
 * snapshot the page sees is remembered, per key, for the life of the tab. Charts built from
 * it say so ("since this page opened").
 */
export type Sample = { time: number } & Record<string, number | null>;

const histories = new Map<string, Sample[]>();
const MAX_SAMPLES = 2000;

/** Adds `sample` unless one at the same or a later time is already stored; returns the history. */
export function recordSample(key: string, sample: Sample | undefined): Sample[] {
  const list = histories.get(key) ?? [];
  if (sample && (list.length === 0 || sample.time > list[list.length - 1]!.time)) {
    list.push(sample);
    if (list.length > MAX_SAMPLES) list.splice(0, list.length - MAX_SAMPLES);
    histories.set(key, list);
  }
  return list;
}

export function clearSampleHistory(): void {
  histories.clear();
}
