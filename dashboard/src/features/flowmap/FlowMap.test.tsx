import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FLOWS } from '../../test/fixtures.ts';
import { renderAt, stubApi } from '../../test/render.tsx';
import { FlowMapGraph } from './FlowMapGraph.tsx';
import { layoutGraph } from './graph-layout.ts';

describe('layoutGraph', () => {
  it('puts producers left of their topics and topics left of their consumers', () => {
    const { nodes } = layoutGraph(FLOWS.nodes, FLOWS.edges);
    const col = Object.fromEntries(nodes.map((n) => [n.id, n.column]));
    expect(col).toEqual({ 'service:orders': 0, 'topic:orders': 1, 'service:payments': 2 });
  });

  it('terminates on cycles (an orchestrator that publishes commands and consumes replies)', () => {
    const nodes = [
      { id: 'a', kind: 'service' as const, name: 'a' },
      { id: 't', kind: 'topic' as const, name: 't' },
    ];
    const edge = { group: null, ratePerSecond: 1, p50Ms: null, p95Ms: null, errorsPerSecond: null };
    const { nodes: placed } = layoutGraph(nodes, [
      { ...edge, from: 'a', to: 't' },
      { ...edge, from: 't', to: 'a' },
    ]);
    expect(placed).toHaveLength(2);
    expect(Math.max(...placed.map((n) => n.column))).toBeLessThan(2);
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
    expect(svg.querySelectorAll('.edge.errors')).toHaveLength(1);
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
