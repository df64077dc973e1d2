import { describe, expect, it } from 'vitest';
import { HOPS } from '../../test/fixtures.ts';
import { UNKNOWN_PRODUCER, stepsFromHops } from './flow-model.ts';

describe('stepsFromHops', () => {
  const steps = stepsFromHops(HOPS);

  it('makes one step per event and consuming group, keyed for the URL', () => {
    expect(steps.map((s) => s.key)).toEqual(['e1~payments', 'e2~orders-saga', 'e3~inventory']);
  });

  it('folds retries into one step: first start, last end, summed processing, attempts, DLQ', () => {
    const s = steps[1]!;
    expect(s.outcome).toBe('dead_lettered');
    expect(s.attempts).toBe(3);
    expect(s.startedAt).toBe(HOPS[1]!.deliveries[0]!.startMs);
    expect(s.endedAt).toBe(HOPS[1]!.deliveries[2]!.endMs);
    expect(s.queueMs).toBe(15);
    expect(s.processingMs).toBe(200);
    expect(s.dlqTopic).toBe('orders-saga.dlq');
    expect(s.toService).toBe('orders');
  });

  it('turns pending groups into pending steps with their position', () => {
    const s = steps[2]!;
    expect(s.outcome).toBe('pending');
    expect(s.pending?.position).toBe(1200);
    expect(s.compensation).toBe(true);
    expect(s.startedAt).toBeNull();
  });

  it('marks two processed deliveries by one group as a duplicate', () => {
    const hop = HOPS[0]!;
    const d = hop.deliveries[0]!;
    const [s] = stepsFromHops([
      { ...hop, deliveries: [d, { ...d, spanId: 'again', startMs: d.startMs + 500, endMs: d.endMs + 500 }] },
    ]);
    expect(s!.outcome).toBe('duplicate');
  });

  it('keeps an event nobody consumes, and a delivery whose publish never arrived', () => {
    const hop = HOPS[0]!;
    const [unconsumed] = stepsFromHops([{ ...hop, deliveries: [] }]);
    expect(unconsumed).toMatchObject({ key: 'e1~', outcome: 'unconsumed', group: null });
    const [orphan] = stepsFromHops([{ ...hop, publishedMs: null, service: null, eventId: null, spanId: null }]);
    expect(orphan).toMatchObject({
      key: 'hop0~payments',
      fromService: UNKNOWN_PRODUCER,
      publishedAt: hop.deliveries[0]!.startMs,
    });
  });
});
