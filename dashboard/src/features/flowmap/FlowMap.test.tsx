import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CLUSTERS, FLOWS, group } from '../../test/fixtures.ts';
import { renderAt, stubApi } from '../../test/render.tsx';
import { edgeLines, FlowMapGraph, fitView, MIN_FIT_SCALE } from './FlowMapGraph.tsx';
import { bestLayout, layoutGraph } from './graph-layout.ts';
import { edgeHealth, lagIndex } from './health.ts';

const lines = (e: (typeof FLOWS.edges)[number]) => edgeLines(e).filter(Boolean);
const edge = { group: null, cluster: null, ratePerSecond: 1, p50Ms: null, p95Ms: null, errorsPerSecond: null };

describe('layoutGraph', () => {
  it('puts producers left of their topics and topics left of their consumers', () => {
    const { nodes } = layoutGraph(FLOWS.nodes, FLOWS.edges, lines);
    const x = new Map(nodes.map((n) => [n.id, n.x]));
    expect(x.get('service:orders')!).toBeLessThan(x.get('topic:orders')!);
    expect(x.get('topic:orders')!).toBeLessThan(x.get('service:payments')!);
  });

  it('terminates on cycles and puts every label on its own edge', () => {
    const nodes = [
      { id: 'a', kind: 'service' as const, name: 'a' },
      { id: 't', kind: 'topic' as const, name: 't' },
    ];
    const layout = layoutGraph(
      nodes,
      [
        { ...edge, from: 'a', to: 't' },
        { ...edge, from: 't', to: 'a' },
      ],
      () => ['1/s'],
    );
    expect(layout.nodes).toHaveLength(2);
    expect(layout.edges).toHaveLength(2);
    for (const e of layout.edges) expect(e.points.length).toBeGreaterThan(1);
    expect(layout.edges[0]!.labelY).not.toBe(layout.edges[1]!.labelY);
  });

  it('turns a long chain top to bottom when that fits a narrow box at a larger scale', () => {
    const nodes = Array.from({ length: 8 }, (_, i) => ({
      id: `n${i}`,
      kind: 'service' as const,
      name: `service-${i}`,
    }));
    const edges = nodes.slice(1).map((n, i) => ({ ...edge, from: `n${i}`, to: n.id }));
    expect(bestLayout(nodes, edges, () => ['1/s'], { width: 400, height: 900 }).direction).toBe('TB');
    expect(bestLayout(nodes, edges, () => ['1/s'], { width: 4000, height: 300 }).direction).toBe('LR');
  });
});

describe('fitView', () => {
  const layout = { direction: 'LR' as const, nodes: [], edges: [], width: 800, height: 400 };
  it('centres a map that fits, never larger than life', () => {
    expect(fitView(layout, { width: 1000, height: 600 })).toEqual({ k: 1, x: 100, y: 100 });
    expect(fitView(layout, { width: 640, height: 600 })).toEqual({ k: 0.8, x: 0, y: 140 });
  });
  it('keeps labels readable in a narrow box: the minimum scale from the top left, to be panned', () => {
    expect(fitView(layout, { width: 300, height: 600 })).toEqual({ k: MIN_FIT_SCALE, x: 0, y: 160 });
  });
});

describe('edgeHealth', () => {
  it('colours by p95, errors and the lag of the consume edge', () => {
    const lag = lagIndex(undefined);
    expect(edgeHealth({ ...edge, from: 'a', to: 'b', p95Ms: 40 }, lag).health).toBe('ok');
    expect(edgeHealth({ ...edge, from: 'a', to: 'b', p95Ms: 300 }, lag).health).toBe('warn');
    expect(edgeHealth({ ...edge, from: 'a', to: 'b', p95Ms: 3700 }, lag).health).toBe('bad');
    expect(edgeHealth({ ...edge, from: 'a', to: 'b', errorsPerSecond: 0.1 }, lag).health).toBe('bad');
    const behind = {
      cluster: 'main',
      groups: new Map([['g', new Map([['t', { status: 'STALL' as const, lag: 2300, lagSeconds: 7.6 }]])]]),
    };
    const consume = { ...edge, from: 'topic:t', to: 'service:s', group: 'g', p95Ms: 5 };
    const h = edgeHealth({ ...consume, cluster: 'main' }, behind);
    expect(h.health).toBe('bad');
    expect(h.reasons.join()).toContain('lag STALL');
    // The same group name on another cluster: this cluster's lag is not its own.
    const other = edgeHealth({ ...consume, cluster: 'east' }, behind);
    expect(other).toMatchObject({ health: 'ok', lag: null, reasons: [] });
  });
});

describe('FlowMapGraph', () => {
  it('draws nodes and labels every edge with rate and latency', () => {
    render(<FlowMapGraph loading={false} error={null} data={FLOWS} />);
    const svg = screen.getByRole('group', { name: 'Flow map' });
    expect(within(svg).getAllByText('orders')).toHaveLength(2);
    expect(within(svg).getByText('p50 2 ms / p95 8 ms')).toBeInTheDocument();
    expect(within(svg).getByText('1.2k/s · 0.5/s errors')).toBeInTheDocument();
    expect(within(svg).getByText('p50 30 ms / p95 250 ms')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Flow edges' });
    expect(table).toHaveTextContent('service:orders → topic:orders1.2k/s · p50 2 ms / p95 8 ms');
    expect(svg.querySelectorAll('.edge-line.errors')).toHaveLength(1);
    expect(svg.querySelectorAll('.edge-line.health-bad')).toHaveLength(1);
  });

  it('shows loading, error and empty states', () => {
    const { rerender } = render(<FlowMapGraph loading error={null} data={undefined} />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading the flow map');
    rerender(<FlowMapGraph loading={false} error={new Error('boom')} data={undefined} />);
    expect(screen.getByRole('alert')).toHaveTextContent('boom');
    rerender(<FlowMapGraph loading={false} error={null} data={{ rangeSeconds: 60, nodes: [], edges: [] }} />);
    expect(screen.getByText('No flows in this time range.')).toBeInTheDocument();
  });

  it('asks for the selected range, at most the hour the collector keeps', async () => {
    const api = stubApi({ '/api/flows': FLOWS });
    renderAt('/flows?range=24h');
    await screen.findByRole('group', { name: 'Flow map' });
    expect(api.calls).toContain('/api/flows?rangeSeconds=3600');
    expect(screen.getByText(/keeps the flow map for the last hour/)).toBeInTheDocument();
  });
});

describe('NodePanel', () => {
  const consume = FLOWS.edges[1]!;
  /** A second consumer of `orders`, a group named `__proto__` on the cluster `east`. */
  const flows = { ...FLOWS, edges: [...FLOWS.edges, { ...consume, group: '__proto__', cluster: 'east' }] };
  const groups = { cluster: 'main', snapshotTime: 1, groups: [group({ group: 'payments' })], missingGroupTypes: [] };

  it("names each consumer group's cluster when there are several, and links it there", async () => {
    stubApi({ '/api/clusters': CLUSTERS, '/api/flows': flows, '/api/groups': groups });
    renderAt('/flows?node=topic%3Aorders');
    const list = await screen.findByRole('list', { name: 'Consumer groups' });
    await within(list).findByText(/\(cluster east\)/);
    const items = within(list).getAllByRole('listitem');
    expect(items.map((li) => within(li).getAllByRole('link')[0]!.getAttribute('href'))).toEqual([
      '/groups/payments?cluster=main',
      '/groups/__proto__?cluster=east',
    ]);
    expect(items[0]).toHaveTextContent('payments (cluster main) on orders');
    // The lag shown is the picked cluster's (main): the group on `east` has none here.
    await within(items[0]!).findByText(/msgs/);
    expect(items[1]).toHaveTextContent('__proto__ (cluster east) on orders');
    expect(items[1]).toHaveTextContent('lag on cluster east: pick it to see');
  });

  it('leaves the cluster out with one cluster, and still links the group on its cluster', async () => {
    stubApi({ '/api/clusters': { clusters: [CLUSTERS.clusters[0]!] }, '/api/flows': FLOWS, '/api/groups': groups });
    renderAt('/flows?node=topic%3Aorders');
    const list = await screen.findByRole('list', { name: 'Consumer groups' });
    const item = within(list).getByRole('listitem');
    expect(within(item).getAllByRole('link')[0]).toHaveAttribute('href', '/groups/payments?cluster=main');
    expect(item).toHaveTextContent(/^payments on orders/);
  });
});
