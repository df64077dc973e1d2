import { beforeEach, describe, expect, it } from 'vitest';
import { clearSampleHistory, recordSample } from './sample-history.ts';

describe('recordSample', () => {
  beforeEach(clearSampleHistory);

  it('keeps one sample per new snapshot time, per key', () => {
    recordSample('a', { time: 1, depth: 5 });
    recordSample('a', { time: 1, depth: 5 });
    recordSample('a', { time: 0, depth: 9 });
    recordSample('b', { time: 1, depth: 7 });
    const a = recordSample('a', { time: 2, depth: 6 });
    expect(a).toEqual([
      { time: 1, depth: 5 },
      { time: 2, depth: 6 },
    ]);
    expect(recordSample('b', undefined)).toEqual([{ time: 1, depth: 7 }]);
  });
});
