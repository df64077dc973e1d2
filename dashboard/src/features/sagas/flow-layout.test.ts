import { describe, expect, it } from 'vitest';
import { HOPS } from '../../test/fixtures.ts';
import {
  AXIS_HEIGHT,
  LABEL_HEIGHT,
  LABEL_WIDTH,
  LANE_HEIGHT,
  MIN_SLOT,
  labelAnchor,
  labelWidth,
  layoutFlow,
  placeLabels,
} from './flow-layout.ts';
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

describe('a dense saga (20 hops 1 µs apart)', () => {
  const base = stepsFromHops(HOPS)[0]!;
  const services = ['orders', 'payments', 'inventory', 'shipping'];
  const dense = Array.from({ length: 20 }, (_, i) => {
    const at = base.publishedAt + i * 0.001;
    return {
      ...base,
      key: `dense${i}`,
      eventId: `dense${i}`,
      eventType: `order.step${i}.placed`,
      fromService: services[i % services.length]!,
      toService: services[(i + 1) % services.length]!,
      group: `g${(i + 1) % services.length}`,
      publishedAt: at,
      startedAt: at + 0.0005,
      endedAt: at + 0.0008,
    };
  });
  const layout = layoutFlow(dense, 1000);
  const anchors = layout.hops.map((l) => ({ ...labelAnchor(l), width: labelWidth(l.step.eventType) }));
  const dys = placeLabels(anchors, AXIS_HEIGHT);
  const boxes = anchors.map((a, i) => ({
    x1: a.x,
    x2: a.x + a.width,
    y1: a.y + dys[i]! - (LABEL_HEIGHT - 2),
    y2: a.y + dys[i]! + 2,
  }));

  it('keeps a true time axis while the hops spread over the width', () => {
    expect(layout.compressed).toBe(false);
  });

  it('compresses the axis when a late hop would squeeze the dense ones into a pixel', () => {
    const late = { ...dense[0]!, key: 'late', eventId: 'late', publishedAt: base.publishedAt + 1000 };
    const squeezed = layoutFlow(
      [...dense, { ...late, startedAt: late.publishedAt + 1, endedAt: late.publishedAt + 2 }],
      1000,
    );
    expect(squeezed.compressed).toBe(true);
    const xs = squeezed.hops.map((h) => h.x0);
    expect(xs.at(-1)! - xs[0]!).toBeGreaterThan(20 * MIN_SLOT);
    for (let i = 1; i < xs.length; i++) expect(xs[i]! - xs[i - 1]!).toBeGreaterThanOrEqual(MIN_SLOT);
    const tickXs = squeezed.ticks.map((t) => t.x);
    expect(new Set(tickXs).size).toBe(tickXs.length);
  });

  it('places every label so no two label boxes intersect, all below the axis', () => {
    for (let i = 0; i < boxes.length; i++) {
      expect(boxes[i]!.y1).toBeGreaterThanOrEqual(AXIS_HEIGHT);
      expect(boxes[i]!.x1).toBeGreaterThanOrEqual(0);
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const intersect = a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
        expect(intersect, `labels ${i} and ${j}`).toBe(false);
      }
    }
  });

  it('keeps searching past the old five offsets instead of giving up', () => {
    const pile = placeLabels(Array.from({ length: 9 }, () => ({ x: 0, y: 200, width: 50 })));
    expect(new Set(pile).size).toBe(9);
    expect(
      placeLabels(
        Array.from({ length: 4 }, () => ({ x: 0, y: 40, width: 50 })),
        AXIS_HEIGHT,
      ),
    ).toEqual([0, 13, 26, 39]);
  });
});
