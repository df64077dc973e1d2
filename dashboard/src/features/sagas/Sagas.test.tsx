import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { drawOrder } from './FlowDiagram.tsx';
import { type LaidOutHop } from './flow-layout.ts';
import { SAGA, SAGAS } from '../../test/fixtures.ts';
import { renderAt, stubApi } from '../../test/render.tsx';

describe('SagasPage', () => {
  it('lists sagas with status, type, duration and marks, newest first', async () => {
    stubApi({ '/api/sagas': SAGAS });
    renderAt('/sagas');
    const table = await screen.findByRole('table', { name: 'Sagas' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('link')[0]!.textContent)).toEqual(['order-17', 'order-1', 'order-2']);
    expect(rows[0]).toHaveTextContent('in-flight');
    expect(rows[0]).toHaveTextContent('410 ms…');
    expect(rows[0]).toHaveTextContent('1 compensation, 1 dead-lettered');
    expect(rows[2]).toHaveTextContent('1 min 30 s');
    expect(rows[2]).toHaveTextContent('order.failed');
  });

  it('sorts by duration, slowest first', async () => {
    stubApi({ '/api/sagas': SAGAS });
    renderAt('/sagas?sort=duration&dir=desc');
    const table = await screen.findByRole('table', { name: 'Sagas' });
    const ids = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => within(r).getAllByRole('link')[0]!.textContent);
    expect(ids).toEqual(['order-2', 'order-1', 'order-17']);
  });

  it('sends status, type, search and time range to the collector, and keeps them in the URL', async () => {
    const api = stubApi({ '/api/sagas': SAGAS });
    renderAt('/sagas?range=15m');
    await screen.findByRole('table', { name: 'Sagas' });
    fireEvent.change(screen.getByRole('combobox', { name: 'Saga status' }), { target: { value: 'failed' } });
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('status=failed'));
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search sagas by correlation id' }), {
      target: { value: 'order-1' },
    });
    fireEvent.change(screen.getByRole('textbox', { name: 'Saga type' }), { target: { value: 'order' } });
    fireEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('q=order-1'));
    const last = new URL(api.calls.at(-1)!, 'http://x');
    expect(last.pathname).toBe('/api/sagas');
    expect(last.searchParams.get('status')).toBe('failed');
    expect(last.searchParams.get('q')).toBe('order-1');
    expect(last.searchParams.get('type')).toBe('order');
    const from = Number(last.searchParams.get('from'));
    expect(Date.now() - from).toBeGreaterThanOrEqual(900_000);
    expect(Date.now() - from).toBeLessThan(960_000);
  });

  it('asks for the sagas started in a custom window (?from=&to=)', async () => {
    const api = stubApi({ '/api/sagas': SAGAS });
    const [from, to] = [Date.now() - 7_200_000, Date.now() - 3_600_000];
    renderAt(`/sagas?from=${from}&to=${to}`);
    await screen.findByRole('table', { name: 'Sagas' });
    const last = new URL(api.calls.at(-1)!, 'http://x');
    expect([last.searchParams.get('from'), last.searchParams.get('to')]).toEqual([String(from), String(to)]);
    expect(screen.getByRole('button', { name: 'Custom' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('suggests clearing filters when nothing matches', async () => {
    stubApi({ '/api/sagas': { items: [], nextCursor: null } });
    renderAt('/sagas?status=stuck');
    expect(await screen.findByText('Clear the filters or widen the time range.')).toBeInTheDocument();
  });
});

describe('SagaDetailPage', () => {
  it('draws one lane per service and one arrow per hop, with failure, compensation and pending marked', async () => {
    stubApi({ '/api/sagas/order-17': SAGA });
    renderAt('/sagas/order-17');
    const diagram = await screen.findByRole('group', { name: 'Saga flow: 3 services, 3 hops' });
    expect(within(diagram).getByTestId('lane-orders')).toHaveTextContent('orders');
    expect(within(diagram).getByTestId('lane-payments')).toBeInTheDocument();
    expect(within(diagram).getByTestId('lane-inventory')).toBeInTheDocument();
    const hops = within(diagram).getAllByRole('button');
    expect(hops).toHaveLength(3);
    expect(hops[0]).toHaveAccessibleName(
      'order.placed from orders, to payments, processed, queue 30 ms, processing 50 ms',
    );
    expect(hops[1]).toHaveAccessibleName(/dead-lettered, .*3 attempts, dead-lettered to orders-saga\.dlq/);
    expect(hops[1]).toHaveClass('failed');
    expect(hops[1]).toHaveTextContent('payment.declined ✕ DLQ ×3');
    expect(hops[2]).toHaveClass('pending', 'compensation');
    expect(hops[2]).toHaveTextContent('inventory.release · pending · 1.2k ahead · ~15 s');
    // queue and processing are separate shapes
    expect(hops[0]!.querySelector('rect.queue')).not.toBeNull();
    expect(hops[0]!.querySelector('rect.processing')).not.toBeNull();
    expect(hops[2]!.querySelector('rect.processing')).toBeNull();
    expect(screen.getByText('pending deliveries').previousSibling).toHaveTextContent('1');
  });

  it('opens a hop on click with event, headers, spans and trace id, and puts it in the URL', async () => {
    stubApi({ '/api/sagas/order-17': SAGA });
    renderAt('/sagas/order-17');
    const diagram = await screen.findByRole('group', { name: /Saga flow/ });
    expect(screen.getByText('Select a hop')).toBeInTheDocument();
    fireEvent.click(within(diagram).getAllByRole('button')[1]!);
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('hop=e2~orders-saga'));
    const details = screen.getByRole('region', { name: 'Hop details' });
    expect(within(details).getByRole('link', { name: 'e2' })).toHaveAttribute('href', '/events/e2');
    expect(within(details).getByRole('link', { name: 'orders-saga.dlq' })).toHaveAttribute(
      'href',
      '/dlqs/orders-saga.dlq',
    );
    expect(within(details).getByRole('link', { name: '4bf92f3577b34da6a3ce929d0e0e4736' })).toHaveAttribute(
      'href',
      '/traces/4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(within(details).getByText('causation-id').nextSibling).toHaveTextContent('e1');
    expect(within(details).getByText('traceparent').nextSibling).toHaveTextContent(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b8-01',
    );
    const spans = within(details).getByRole('table', { name: 'Spans' });
    expect(within(spans).getAllByRole('row')).toHaveLength(5);
    expect(spans).toHaveTextContent('process payments (attempt 3)');
    // the third attempt ran in another trace (eachBatch): its span links there
    expect(within(spans).getByRole('link', { name: 'process payments (attempt 3)' })).toHaveAttribute(
      'href',
      '/traces/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    );
  });

  it('selects a hop from the keyboard and restores a selection from the URL', async () => {
    stubApi({ '/api/sagas/order-17': SAGA });
    renderAt('/sagas/order-17?hop=e3~inventory');
    const details = await screen.findByRole('region', { name: 'Hop details' });
    expect(details).toHaveTextContent('1.2k messages ahead of it in inventory/2, about 15 s to go');
    const diagram = screen.getByRole('group', { name: /Saga flow/ });
    const first = within(diagram).getAllByRole('button')[0]!;
    first.focus();
    fireEvent.keyDown(first, { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('hop=e1~payments'));
    expect(first).toHaveAttribute('aria-pressed', 'true');
  });
});

describe('drawOrder', () => {
  it('draws hops without a consumer first, so a DLQ re-publish does not cover the failed step it starts from', () => {
    const hop = (key: string, kind: LaidOutHop['kind']) =>
      ({ key, kind, x0: 0, y0: 0, x1: 0, y1: 0, x2: null, step: {} }) as unknown as LaidOutHop;
    const hops = [
      hop('placed', 'delivered'),
      hop('republish', 'unconsumed'),
      hop('reserve', 'failed'),
      hop('x', 'pending'),
    ];
    expect(drawOrder(hops).map((i) => hops[i]!.key)).toEqual(['republish', 'placed', 'reserve', 'x']);
  });
});
