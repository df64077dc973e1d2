/** The status rules (src/lag/status.ts) as pure functions: each rule, its order, and the tolerance. */
import { describe, expect, it } from 'vitest';
import { partitionStatus, worstStatus, STATUS_CODES, type OffsetSample } from '../src/lag/status.ts';

/** Samples 5 s apart from [offset, lag] pairs. */
const w = (...pairs: [number, number][]): OffsetSample[] =>
  pairs.map(([offset, lag], i) => ({ time: 1_000_000 + i * 5000, offset, lag }));

const status = (samples: OffsetSample[], opts: { tolerance?: number; owned?: boolean; error?: boolean } = {}) =>
  partitionStatus({ samples, tolerance: opts.tolerance ?? 0, owned: opts.owned ?? true, error: opts.error });

describe('partition status rules', () => {
  it('ERR when the offsets could not be read, whatever the window says', () => {
    expect(status(w([0, 0], [0, 0]), { error: true })).toBe('ERR');
  });

  it('OK with no samples or a single sample (no window yet)', () => {
    expect(status([])).toBe('OK');
    expect(status(w([5, 100]), { owned: false })).toBe('OK');
  });

  it('STOP: lag, no owner, offset not moving; checked before everything else', () => {
    expect(status(w([10, 5], [10, 8], [10, 12]), { owned: false })).toBe('STOP');
    // Same window with an owner is a STALL, not a STOP.
    expect(status(w([10, 5], [10, 8], [10, 12]), { owned: true })).toBe('STALL');
    // STOP wins over the "caught up earlier in the window" rule.
    expect(status(w([10, 0], [10, 4], [10, 9]), { owned: false })).toBe('STOP');
  });

  it('not STOP when the offsets move without members (manual assignment) or lag is within tolerance', () => {
    expect(status(w([10, 50], [20, 45], [30, 40]), { owned: false })).toBe('OK');
    expect(status(w([10, 3], [10, 3], [10, 3]), { owned: false, tolerance: 3 })).toBe('OK');
  });

  it('OK when caught up: current lag <= tolerance, even after a rewind or a stall', () => {
    expect(status(w([10, 0], [10, 0], [10, 0]))).toBe('OK');
    expect(status(w([10, 40], [10, 40], [50, 0]))).toBe('OK');
    expect(status(w([100, 0], [50, 50], [98, 2]), { tolerance: 2 })).toBe('OK');
  });

  it('tolerance: a small lag on a busy topic is not a warning; one more message is', () => {
    const busy = w([100, 5], [200, 5], [300, 5], [400, 5]);
    expect(status(busy, { tolerance: 5 })).toBe('OK');
    expect(status(busy, { tolerance: 4 })).toBe('WARN');
  });

  it('REWIND: the committed offset went backwards', () => {
    expect(status(w([100, 0], [0, 100]))).toBe('REWIND');
    expect(status(w([50, 10], [60, 10], [20, 60], [30, 55]))).toBe('REWIND');
  });

  it('REWIND is seen even when the group was caught up just before the reset', () => {
    expect(status(w([100, 0], [100, 0], [0, 100]), { tolerance: 10 })).toBe('REWIND');
  });

  it('OK when the lag was within tolerance somewhere in the window (Burrow rule 1)', () => {
    expect(status(w([10, 0], [12, 20], [15, 40]))).toBe('OK');
    expect(status(w([10, 2], [12, 20], [15, 40]), { tolerance: 2 })).toBe('OK');
  });

  it('STALL: owned, lag, the offset does not move over the window', () => {
    expect(status(w([10, 5], [10, 5], [10, 5]))).toBe('STALL');
    expect(status(w([10, 5], [10, 9]))).toBe('STALL');
  });

  it('WARN: the offset moves but the lag never decreases', () => {
    expect(status(w([10, 5], [12, 8], [14, 8], [20, 30]))).toBe('WARN');
  });

  it('OK when the offset moves and the lag decreased at least once', () => {
    expect(status(w([10, 50], [20, 60], [40, 45], [45, 70]))).toBe('OK');
  });
});

describe('group status', () => {
  it('is the worst partition status by severity', () => {
    expect(worstStatus([])).toBe('OK');
    expect(worstStatus(['OK', 'WARN', 'OK'])).toBe('WARN');
    expect(worstStatus(['STALL', 'REWIND', 'WARN'])).toBe('STALL');
    expect(worstStatus(['STOP', 'STALL'])).toBe('STOP');
    expect(worstStatus(['STOP', 'ERR', 'OK'])).toBe('ERR');
  });

  it('has documented numeric codes in severity order', () => {
    expect(STATUS_CODES).toEqual({ OK: 0, WARN: 1, REWIND: 2, STALL: 3, STOP: 4, ERR: 5 });
  });
});
