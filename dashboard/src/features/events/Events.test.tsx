import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CLUSTERS, EVENT, SAGA } from '../../test/fixtures.ts';
import { errorAnswer, renderAt, stubApi } from '../../test/render.tsx';

describe('EventPage (where is event X)', () => {
  it('lists every group: the ones that have not processed it first, with position and wait', async () => {
    stubApi({ '/api/events/e1': EVENT });
    renderAt('/events/e1');
    const where = await screen.findByRole('region', { name: 'Where is it' });
    expect(within(where).getByRole('heading')).toHaveTextContent('Processed by 1 of 3 groups');
    const rows = within(where).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('link')[0]!.textContent)).toEqual(['analytics', 'audit', 'payments']);
    expect(rows[0]).toHaveTextContent('not yet: 6 messages ahead of it, about 2.5 s to go (committed offset 4)');
    expect(rows[1]).toHaveTextContent('skipped (no delivery)');
    expect(rows[1]).toHaveTextContent('unaccounted');
    expect(rows[2]).toHaveTextContent('processed 2 times');
    expect(within(rows[2]!).getByText('duplicate')).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent('payments');
  });

  it("names each group's cluster when there are several: the same group on two clusters is two rows", async () => {
    const analytics = EVENT.groups[0]!;
    stubApi({
      '/api/clusters': CLUSTERS,
      '/api/events/e1': {
        ...EVENT,
        groups: [
          analytics,
          {
            ...analytics,
            cluster: 'east',
            pending: { ...analytics.pending!, cluster: 'east', committedOffset: 9, position: 1 },
          },
          ...EVENT.groups.slice(1),
        ],
      },
    });
    renderAt('/events/e1');
    const where = await screen.findByRole('region', { name: 'Where is it' });
    await within(where).findByRole('columnheader', { name: 'Cluster' });
    expect(within(where).getByRole('heading')).toHaveTextContent('Processed by 1 of 4 groups');
    const rows = within(where).getAllByRole('row').slice(1);
    const cells = rows.map((r) =>
      within(r)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    );
    expect(cells.map((c) => [c[0], c[1]])).toEqual([
      ['analytics', 'main'],
      ['analytics', 'east'],
      ['audit', 'main'],
      ['payments', 'main'],
    ]);
    expect(rows[0]).toHaveTextContent('6 messages ahead of it');
    expect(rows[1]).toHaveTextContent('1 messages ahead of it');
    // Each group opens on its own cluster.
    const links = rows.map((r) => within(r).getAllByRole('link')[0]!.getAttribute('href'));
    expect(links).toEqual([
      '/groups/analytics?cluster=main',
      '/groups/analytics?cluster=east',
      '/groups/audit?cluster=main',
      '/groups/payments?cluster=main',
    ]);
  });

  it('leaves the cluster column out with one cluster, and still links each group on its cluster', async () => {
    stubApi({ '/api/clusters': { clusters: [CLUSTERS.clusters[0]!] }, '/api/events/e1': EVENT });
    renderAt('/events/e1');
    const where = await screen.findByRole('region', { name: 'Where is it' });
    const first = (await within(where).findAllByRole('row'))[1]!;
    expect(within(where).queryByRole('columnheader', { name: 'Cluster' })).toBeNull();
    expect(within(first).getAllByRole('link')[0]).toHaveAttribute('href', '/groups/analytics?cluster=main');
  });

  it('shows where the record is and links its saga, cause and trace', async () => {
    stubApi({ '/api/events/e1': EVENT });
    renderAt('/events/e1');
    const ev = await screen.findByRole('region', { name: 'Event' });
    expect(ev).toHaveTextContent('orders / partition 0 @ offset 10');
    expect(ev).toHaveTextContent('by orders');
    expect(within(ev).getByRole('link', { name: 'order-17' })).toHaveAttribute('href', '/sagas/order-17');
    expect(within(ev).getByRole('link', { name: '4bf92f3577b34da6a3ce929d0e0e4736' })).toBeInTheDocument();
    expect(ev).toHaveTextContent('nothing (first event)');
  });

  it('says the event is unknown when the collector answers 404', async () => {
    stubApi({ '/api/events/zz': errorAnswer(404, { error: 'NOT_FOUND', message: 'no event with id zz' }) });
    renderAt('/events/zz');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load event zz.');
    expect(alert).toHaveTextContent('no event with id zz');
    expect(alert).toHaveTextContent('aged out of retention');
  });
});

describe('TracePage', () => {
  it('lists publishes and deliveries in time order and links the sagas', async () => {
    const hop = SAGA.hops[0]!;
    stubApi({
      '/api/traces/4bf92f3577b34da6a3ce929d0e0e4736': {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        // The fixture event's publish (in this trace), at the saga's first hop, 4 ms long.
        publishes: [{ ...EVENT.publish!, timeMs: hop.publishedMs!, endMs: hop.publishedMs! + 4, spanId: 'p1' }],
        deliveries: hop.deliveries.map((d) => ({ ...d, eventId: 'e1' })),
        eventIds: ['e1'],
        correlationIds: ['order-17'],
      },
    });
    renderAt('/traces/4bf92f3577b34da6a3ce929d0e0e4736');
    const spans = await screen.findByRole('table', { name: 'Spans' });
    const rows = within(spans).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('send orders');
    expect(rows[0]).toHaveTextContent('4 ms');
    expect(rows[1]).toHaveTextContent('process orders (payments, attempt 1)');
    expect(rows[1]).toHaveTextContent('50 ms');
    expect(screen.getByRole('link', { name: 'order-17' })).toHaveAttribute('href', '/sagas/order-17');
  });
});
