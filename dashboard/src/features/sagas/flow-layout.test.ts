import { describe, expect, it } from 'vitest';
import { HOPS } from '../../test/fixtures.ts';
import { AXIS_HEIGHT, LABEL_WIDTH, LANE_HEIGHT, labelWidth, layoutFlow, placeLabels } from './flow-layout.ts';
import { stepsFromHops } from './flow-model.ts';

describe('layoutFlow', () => {
  const steps = stepsFromHops(HOPS);
  const t0 = HOPS[0]!.publishedMs!;
  const layout = layoutFlow(steps, 1000);

  it('makes one lane per service in order of first appearance', () => {
    expect(layout.lanes.map((l) => l.name)).toEqual(['orders', 'payments', 'inventory']);
    expect(layout.lanes[0]!.y).toBe(AXIS_HEIGHT + LANE_HEIGHT / 2);
    expect(layout.height).toBe(AXIS_HEIGHT + 3 * LANE_HEIGHT + 8);
  });

  it('puts every hop on one shared time axis starting at the first publish', () => {
    expect(layout.t0).toBe(t0);
    expect(layout.x(t0)).toBe(LABEL_WIDTH);
    const first = layout.hops[0]!;
    expect(first.x0).toBe(LABEL_WIDTH);
    // delivery start is right of the publish: the gap is the queue time
    expect(first.x1).toBeGreaterThan(first.x0);
    expect(first.x2).toBeGreaterThan(first.x1);
    // publish on the orders lane, delivery on the payments lane
    expect(first.y0).toBe(layout.lanes[0]!.y);
    expect(first.y1).toBe(layout.lanes[1]!.y);
  });

  it('marks the dead-lettered hop failed and draws the pending hop to the right edge', () => {
    expect(layout.hops.map((h) => h.kind)).toEqual(['delivered', 'failed', 'pending']);
    const pending = layout.hops[2]!;
    expect(pending.x2).toBeNull();
    expect(pending.x1).toBeGreaterThan(layout.x(HOPS[2]!.publishedMs!));
  });

  it('extends the axis past the last event while something is pending, and ticks from +0', () => {
    expect(layout.t1).toBeGreaterThan(HOPS[2]!.publishedMs!);
    expect(layout.ticks[0]!.label).toBe(0);
    expect(layout.ticks.at(-1)!.x).toBeCloseTo(layout.x(layout.t1));
  });

  it('staggers overlapping hops on the same lane', () => {
    const base = steps[0]!;
    const overlapping = [base, { ...base, key: 'other', eventId: 'x' }];
    const l = layoutFlow(overlapping, 1000);
    expect(l.hops[0]!.y1).not.toBe(l.hops[1]!.y1);
  });
});

describe('placeLabels', () => {
  it('keeps a label in place when it has room and moves overlapping ones off the line', () => {
    const dys = placeLabels([
      { x: 0, y: 100, width: 100 },
      { x: 50, y: 100, width: 100 },
      { x: 60, y: 100, width: 100 },
      { x: 300, y: 100, width: 50 },
    ]);
    expect(dys).toEqual([0, -13, 13, 0]);
  });

  it('estimates wider labels for longer text', () => {
    expect(labelWidth('payment.declined ✕ DLQ ×3')).toBeGreaterThan(labelWidth('order.placed'));
  });
});
