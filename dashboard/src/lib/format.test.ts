import { describe, expect, it } from 'vitest';
import {
  NONE,
  formatBytes,
  formatClock,
  formatClockMs,
  formatCount,
  formatDateTime,
  formatDuration,
  formatGrowth,
  formatInteger,
  formatPercent,
  formatRate,
  formatRelative,
  formatSeconds,
  shortId,
  toMs,
} from './format.ts';

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1k'],
    [1234, '1.2k'],
    [12_345, '12.3k'],
    [99_960, '100k'],
    [123_456, '123k'],
    [999_960, '1M'],
    [1_500_000, '1.5M'],
    [2_000_000_000, '2G'],
    [-1234, '-1.2k'],
    [2.5, '2.5'],
  ])('%d -> %s', (n, text) => {
    expect(formatCount(n)).toBe(text);
  });

  it('prints the placeholder for unknown values', () => {
    expect(formatCount(null)).toBe(NONE);
    expect(formatCount(undefined)).toBe(NONE);
    expect(formatCount(Number.NaN)).toBe(NONE);
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe(NONE);
  });
});

describe('formatInteger', () => {
  it('groups thousands and rounds', () => {
    expect(formatInteger(1234567)).toBe('1,234,567');
    expect(formatInteger(12.6)).toBe('13');
    expect(formatInteger(null)).toBe(NONE);
  });
});

describe('formatRate', () => {
  it.each([
    [1234, '1.2k/s'],
    [42, '42/s'],
    [0, '0/s'],
    [0.25, '0.25/s'],
    [0.5, '0.5/s'],
    [0.001, '<0.01/s'],
    [2_400_000, '2.4M/s'],
  ])('%d -> %s', (n, text) => {
    expect(formatRate(n)).toBe(text);
  });

  it('takes another unit', () => {
    expect(formatRate(12, '/min')).toBe('12/min');
  });

  it('prints the placeholder for unknown rates', () => {
    expect(formatRate(null)).toBe(NONE);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [0.42, '0.4 ms'],
    [4.25, '4.3 ms'],
    [42, '42 ms'],
    [999.4, '999 ms'],
    [999.6, '1 s'],
    [1000, '1 s'],
    [4200, '4.2 s'],
    [42_000, '42 s'],
    [59_960, '1 min'],
    [60_000, '1 min'],
    [252_000, '4 min 12 s'],
    [2_520_000, '42 min'],
    [3_600_000, '1 h'],
    [15_120_000, '4 h 12 min'],
    [86_400_000, '1 d'],
    [273_600_000, '3 d 4 h'],
    [-1500, '-1.5 s'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('prints the placeholder for unknown durations', () => {
    expect(formatDuration(null)).toBe(NONE);
    expect(formatDuration(Number.NaN)).toBe(NONE);
  });
});

describe('formatSeconds', () => {
  it('formats seconds as durations', () => {
    expect(formatSeconds(0.25)).toBe('250 ms');
    expect(formatSeconds(90)).toBe('1 min 30 s');
    expect(formatSeconds(7200)).toBe('2 h');
    expect(formatSeconds(null)).toBe(NONE);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 2 ** 20, '10 MiB'],
    [3.25 * 2 ** 30, '3.3 GiB'],
    [5 * 2 ** 50, '5120 TiB'],
  ])('%d -> %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('prints the placeholder for unknown sizes', () => {
    expect(formatBytes(undefined)).toBe(NONE);
  });
});

describe('formatPercent', () => {
  it('formats ratios', () => {
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(null)).toBe(NONE);
  });
});

describe('formatRelative', () => {
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);
  it.each([
    [now - 2000, 'just now'],
    [now - 42_000, '42 s ago'],
    [now - 5 * 60_000, '5 min ago'],
    [now - 3 * 3_600_000, '3 h ago'],
    [now - 2 * 86_400_000, '2 d ago'],
    [now + 5 * 60_000, 'in 5 min'],
  ])('%d -> %s', (t, text) => {
    expect(formatRelative(t, now)).toBe(text);
  });

  it('accepts ISO strings and rejects garbage', () => {
    expect(formatRelative(new Date(now - 90_000).toISOString(), now)).toBe('1 min ago');
    expect(formatRelative('not a date', now)).toBe(NONE);
    expect(formatRelative(null, now)).toBe(NONE);
  });
});

describe('clock and dates', () => {
  const t = new Date(2026, 10, 27, 9, 5, 7, 42).getTime();
  it('formats local times', () => {
    expect(formatClock(t)).toBe('09:05:07');
    expect(formatClockMs(t)).toBe('09:05:07.042');
    expect(formatDateTime(t)).toBe('2026-11-27 09:05:07');
    expect(formatClock(null)).toBe(NONE);
  });

  it('toMs reads numbers and ISO strings', () => {
    expect(toMs(5)).toBe(5);
    expect(toMs('1970-01-01T00:00:01.000Z')).toBe(1000);
    expect(toMs('nope')).toBeNull();
    expect(toMs(Number.NaN)).toBeNull();
  });
});

describe('shortId', () => {
  it('keeps short ids and shortens long ones', () => {
    expect(shortId('abc')).toBe('abc');
    expect(shortId('0193a1b2-0000-7000-8000-00000000c3d4')).toBe('0193a1b2…c3d4');
    expect(shortId(null)).toBe(NONE);
  });
});

describe('formatGrowth', () => {
  it('reads slow growth per minute and fast growth per second', () => {
    expect(formatGrowth(0.1)).toBe('6/min');
    expect(formatGrowth(0)).toBe('0/min');
    expect(formatGrowth(2.5)).toBe('2.5/s');
    expect(formatGrowth(-0.5)).toBe('-30/min');
    expect(formatGrowth(null)).toBe(NONE);
  });
});
