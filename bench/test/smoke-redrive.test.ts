/**
 * A smoke run of figure 8 (DLQ redrive) at tiny sizes, so its harness cannot rot: a collector
 * process redrives a seeded DLQ through the HTTP API, the rate is read back from the target's
 * headers, and a redrive survives kill -9 and a restart with every record on the target once.
 * It asserts the results' shape and the exactly-once count, never a timing.
 */
import { describe, expect, it } from 'vitest';
import { achievedRate, benchRedrive, type CrashRun, type RateRun } from '../src/redrive.ts';

describe('bench figure 8: DLQ redrive (smoke, tiny sizes)', () => {
  it('achieved rate: records after the first produce over the time since it', () => {
    expect(achievedRate([1000, 1000, 1500, 2000])).toBe(2);
    expect(achievedRate([1000])).toBe(0);
  });

  it('redrives at a limit, measures it on the target, and resumes after kill -9 without duplicates', async () => {
    const r = await benchRedrive({
      limits: [200],
      seconds: 1,
      runs: 1,
      crashRuns: 1,
      crashRecords: 300,
      crashLimit: 100,
    });
    const { rates, crashes } = r.raw as { rates: RateRun[]; crashes: CrashRun[] };
    expect(rates).toHaveLength(1);
    expect(rates[0]?.records).toBe(200);
    expect(rates[0]?.achieved).toBeGreaterThan(0);
    expect(rates[0]?.load).toHaveLength(3);
    expect(r.rows.find((x) => x.metric === 'achieved / limit at 200/s')?.target).toBe('0.95..1.05');
    expect(crashes).toHaveLength(1);
    const c = crashes[0]!;
    expect(c.sentBeforeKill).toBeGreaterThan(0);
    expect(c.sentBeforeKill).toBeLessThan(300);
    expect(c).toMatchObject({ status: 'completed', sent: 300, failed: 0, distinct: 300, duplicates: 0, missing: 0 });
    expect(r.rows.find((x) => x.metric === 'duplicates after kill -9 and resume')).toMatchObject({
      value: 0,
      meets: true,
    });
  });
});
