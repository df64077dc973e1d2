/**
 * The flow map kept in memory: edges found by name, one minute bucket per edge and minute, hops
 * older than its hour left out, and at most MAX_EDGES edges whatever names clients send.
 */
import { describe, expect, it } from 'vitest';
import { FlowMap } from '../src/flows/flow-map.ts';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 30);
const clusterOf = (): string => 'main';

describe('the flow map', () => {
  it('counts publishes and deliveries per edge, with latencies and errors, over the range', () => {
    const map = new FlowMap();
    for (let i = 0; i < 60; i++) map.publish('order', 'orders', NOW - i * 1000, 4, NOW);
    for (let i = 0; i < 30; i++) map.delivery('orders', 'billing', 'billing-group', NOW - i * 1000, i % 3 === 0, NOW);
    for (let i = 0; i < 30; i++) map.queueTime('orders', 'billing', 'billing-group', 15, NOW);
    const { nodes, edges } = map.view(60, NOW, clusterOf);
    expect(nodes.map((n) => n.id)).toEqual(['service:billing', 'service:order', 'topic:orders']);
    const publish = edges.find((e) => e.from === 'service:order');
    expect(publish).toMatchObject({ to: 'topic:orders', group: null, cluster: null, ratePerSecond: 1 });
    expect(publish?.p50Ms).toBeGreaterThan(2);
    expect(publish?.p50Ms).toBeLessThanOrEqual(5);
    const consume = edges.find((e) => e.from === 'topic:orders');
    expect(consume).toMatchObject({ to: 'service:billing', group: 'billing-group', cluster: 'main' });
    expect(consume?.ratePerSecond).toBeCloseTo(0.5);
    expect(consume?.errorsPerSecond).toBeCloseTo(10 / 60);
    expect(consume?.p50Ms).toBeGreaterThan(10);
    expect(consume?.p50Ms).toBeLessThanOrEqual(20);
  });

  it('leaves out hops older than its hour, and makes no edge for them', () => {
    const map = new FlowMap();
    map.publish('order', 'orders', NOW - 2 * 3_600_000, 1, NOW);
    map.delivery('orders', 'billing', 'g', NOW - 2 * 3_600_000, false, NOW);
    expect(map.view(3600, NOW, clusterOf).edges).toEqual([]);
  });

  it('takes at most 5,000 edges and counts the hops it refused', () => {
    const map = new FlowMap();
    for (let i = 0; i < 5000; i++) map.publish(`service-${i}`, 'orders', NOW, 1, NOW);
    for (const name of ['one-more', '__proto__', 'constructor']) map.delivery('orders', name, name, NOW, false, NOW);
    expect(map.droppedEdges).toBe(3);
    // An edge that exists still counts.
    map.publish('service-7', 'orders', NOW, 1, NOW);
    const edges = map.view(60, NOW, clusterOf).edges;
    expect(edges).toHaveLength(5000);
    expect(edges.find((e) => e.from === 'service:service-7')?.ratePerSecond).toBeCloseTo(2 / 60);
  });

  it('names like __proto__ and constructor are names', () => {
    const map = new FlowMap();
    map.publish('__proto__', 'constructor', NOW, 1, NOW);
    map.delivery('constructor', 'toString', '__proto__', NOW, false, NOW);
    const { edges } = map.view(60, NOW, clusterOf);
    expect(edges.map((e) => [e.from, e.to, e.group])).toEqual([
      ['service:__proto__', 'topic:constructor', null],
      ['topic:constructor', 'service:toString', '__proto__'],
    ]);
  });
});
