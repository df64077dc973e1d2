/** The (end offset, time) table behind interpolated time lag: interpolation, lower bounds, trimming, persistence. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addPoint, estimateTime, OffsetTimeTable, type Point } from '../src/lag/offset-times.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'eventscope-offset-times-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('offset/time table', () => {
  it('interpolates linearly between the samples around the offset', () => {
    const points: Point[] = [];
    addPoint(points, 100, 10_000, 10);
    addPoint(points, 200, 20_000, 10);
    addPoint(points, 400, 30_000, 10);
    expect(estimateTime(points, 100)).toEqual({ time: 10_000, lowerBound: false });
    expect(estimateTime(points, 150)).toEqual({ time: 15_000, lowerBound: false });
    expect(estimateTime(points, 300)).toEqual({ time: 25_000, lowerBound: false });
  });

  it('never extrapolates: an offset older than the table is a lower bound at the first sample', () => {
    const points: Point[] = [
      [100, 10_000],
      [200, 20_000],
    ];
    expect(estimateTime(points, 50)).toEqual({ time: 10_000, lowerBound: true });
    expect(estimateTime(points, 0)).toEqual({ time: 10_000, lowerBound: true });
  });

  it('has no estimate for offsets not produced yet, or without samples', () => {
    expect(estimateTime([[100, 10_000]], 100)).toBeUndefined();
    expect(estimateTime([], 5)).toBeUndefined();
  });

  it('on an idle partition keeps the first and the latest sighting of the end offset', () => {
    const points: Point[] = [];
    addPoint(points, 100, 10_000, 10);
    addPoint(points, 100, 20_000, 10);
    addPoint(points, 100, 30_000, 10);
    expect(points).toEqual([
      [100, 10_000],
      [100, 30_000],
    ]);
    addPoint(points, 110, 40_000, 10);
    // Record 100 was produced after 30 s (the end offset was still 100 then), by 40 s.
    expect(estimateTime(points, 100)).toEqual({ time: 30_000, lowerBound: false });
    expect(estimateTime(points, 105)).toEqual({ time: 35_000, lowerBound: false });
    // Older records: at least as old as the first sighting.
    expect(estimateTime(points, 99)).toEqual({ time: 10_000, lowerBound: true });
  });

  it('starts over when the end offset goes backwards (topic recreated)', () => {
    const points: Point[] = [
      [100, 10_000],
      [200, 20_000],
    ];
    addPoint(points, 5, 30_000, 10);
    expect(points).toEqual([[5, 30_000]]);
  });

  it('trims to maxPoints keeping the first and the last, dropping the most redundant', () => {
    const points: Point[] = [];
    // Steady 10 records/s, one burst at 50 s: the burst's corner point must survive.
    for (let s = 0; s <= 100; s += 5) addPoint(points, s < 50 ? s * 10 : 500 + (s - 50) * 100, s * 1000, 6);
    expect(points).toHaveLength(6);
    expect(points[0]).toEqual([0, 0]);
    expect(points.at(-1)).toEqual([5500, 100_000]);
    expect(points.some(([o, t]) => o === 500 && t === 50_000)).toBe(true);
    // Estimates stay exact on both linear stretches.
    expect(estimateTime(points, 250)?.time).toBeCloseTo(25_000, 5);
    expect(estimateTime(points, 3000)?.time).toBeCloseTo(75_000, 5);
  });

  it('persists atomically and loads back; a corrupt file starts a new table with a reason', () => {
    const file = path.join(dir, 'table.json');
    const a = new OffsetTimeTable({ file });
    a.add('orders', 0, 10, 1000);
    a.add('orders', 0, 20, 2000);
    a.add('payments', 3, 7, 1500);
    a.save();
    const b = new OffsetTimeTable({ file });
    expect(b.load()).toBeUndefined();
    expect(b.points('orders', 0)).toEqual([
      [10, 1000],
      [20, 2000],
    ]);
    expect(b.estimate('orders', 0, 15)).toEqual({ time: 1500, lowerBound: false });
    expect(b.points('payments', 3)).toEqual([[7, 1500]]);
    b.retainTopics(new Set(['payments']));
    expect(b.points('orders', 0)).toEqual([]);

    writeFileSync(file, '{not json');
    const c = new OffsetTimeTable({ file });
    expect(c.load()).toMatch(/cannot parse/);
    expect(c.size).toBe(0);
    expect(new OffsetTimeTable({ file: path.join(dir, 'missing.json') }).load()).toBeUndefined();
  });
});
