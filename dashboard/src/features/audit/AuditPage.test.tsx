import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AuditResponse } from '../../api/types.ts';
import { CLUSTERS } from '../../test/fixtures.ts';
import { renderAt, stubApi } from '../../test/render.tsx';

const now = Date.now();
const skipped: AuditResponse['findings'][number] = {
  cluster: 'main',
  group: 'inventory',
  topic: 'orders',
  partition: 1,
  offset: 1234,
  eventId: null,
  correlationId: 'order-5',
  detectedMs: now - 60_000,
  class: 'skipped',
  reason: 'no-effect',
  service: 'inventory',
  decidedMs: now - 30_000,
};
const lostSpan: AuditResponse['findings'][number] = {
  ...skipped,
  offset: 1300,
  correlationId: 'order-9',
  class: 'telemetry-missing',
  reason: 'caused-event',
};

describe('AuditPage', () => {
  it('lists skipped records as loss, telemetry gaps apart, and duplicates, with links', async () => {
    const audit: AuditResponse = {
      duplicates: [
        { eventId: 'e1', cluster: 'main', group: 'payments', count: 2, firstMs: now - 5000, lastMs: now - 1000 },
      ],
      unaccounted: [skipped],
      findings: [lostSpan, skipped],
      counts: {
        skipped: 1,
        telemetryMissing: 7,
        unknown: 0,
        loss: [{ cluster: 'main', group: 'inventory', topic: 'orders', count: 1 }],
        telemetryGaps: [{ cluster: 'main', group: 'inventory', service: 'inventory', count: 7 }],
      },
    };
    stubApi({ '/api/audit': audit });
    renderAt('/audit');
    const lost = await screen.findByRole('region', { name: 'Skipped records' });
    expect(lost).toHaveTextContent('orders / 1');
    expect(lost).toHaveTextContent('1,234');
    expect(lost).toHaveTextContent('caused no event; its neighbours did');
    expect(lost).not.toHaveTextContent('1,300');
    expect(within(lost).getByRole('link', { name: 'order-5' })).toHaveAttribute('href', '/sagas/order-5');
    const gaps = screen.getByRole('region', { name: 'Telemetry gaps' });
    expect(within(gaps).getAllByRole('row')[1]).toHaveTextContent(/inventory\s*inventory\s*7/);
    const all = screen.getByRole('region', { name: 'All findings' });
    expect(within(all).getAllByRole('row')[1]).toHaveTextContent('processed, span lost');
    expect(within(all).getAllByRole('row')[1]).toHaveTextContent('an event it caused arrived');
    expect(screen.getByText('records skipped (loss)').previousSibling).toHaveTextContent('1');
    expect(screen.getByText('processed, span lost', { selector: '.figure-label' }).previousSibling).toHaveTextContent(
      '7',
    );
    const dups = screen.getByRole('region', { name: 'Duplicates' });
    expect(within(dups).getByRole('link', { name: 'e1' })).toHaveAttribute('href', '/events/e1');
    expect(within(dups).getAllByRole('row')[1]).toHaveTextContent('2');
  });

  /** Two clusters' rows, the same group on both, and a group named `__proto__`. */
  const twoClusters: AuditResponse = {
    duplicates: [
      { eventId: 'e1', cluster: 'east', group: 'payments', count: 2, firstMs: now - 5000, lastMs: now - 1000 },
      { eventId: 'e2', cluster: 'main', group: '__proto__', count: 3, firstMs: now - 5000, lastMs: now - 2000 },
    ],
    unaccounted: [{ ...skipped, cluster: 'east' }, skipped],
    findings: [lostSpan, { ...skipped, cluster: 'east' }, skipped],
    counts: {
      skipped: 2,
      telemetryMissing: 7,
      unknown: 0,
      loss: [
        { cluster: 'east', group: 'inventory', topic: 'orders', count: 1 },
        { cluster: 'main', group: 'inventory', topic: 'orders', count: 1 },
      ],
      telemetryGaps: [
        { cluster: 'east', group: 'constructor', service: 'inventory', count: 4 },
        { cluster: 'main', group: 'inventory', service: 'inventory', count: 3 },
      ],
    },
  };
  const cells = (region: HTMLElement): (string | null)[][] =>
    within(region)
      .getAllByRole('row')
      .slice(1)
      .map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      );
  const groupLinks = (region: HTMLElement): (string | null)[] =>
    within(region)
      .getAllByRole('row')
      .slice(1)
      .map((r) => within(r).getAllByRole('link')[0]!.getAttribute('href'));

  it("names each row's cluster when there are several, and links each group on its own cluster", async () => {
    stubApi({ '/api/clusters': CLUSTERS, '/api/audit': twoClusters });
    renderAt('/audit');
    const lost = await screen.findByRole('region', { name: 'Skipped records' });
    await within(lost).findByRole('columnheader', { name: 'Cluster' });
    expect(cells(lost).map((c) => [c[0], c[1]])).toEqual([
      ['inventory', 'east'],
      ['inventory', 'main'],
    ]);
    expect(groupLinks(lost)).toEqual(['/groups/inventory?cluster=east', '/groups/inventory?cluster=main']);
    const all = screen.getByRole('region', { name: 'All findings' });
    expect(cells(all).map((c) => c[1])).toEqual(['main', 'east', 'main']);
    const gaps = screen.getByRole('region', { name: 'Telemetry gaps' });
    expect(cells(gaps)).toEqual([
      ['constructor', 'east', 'inventory', '4'],
      ['inventory', 'main', 'inventory', '3'],
    ]);
    expect(groupLinks(gaps)).toEqual(['/groups/constructor?cluster=east', '/groups/inventory?cluster=main']);
    const dups = screen.getByRole('region', { name: 'Duplicates' });
    expect(within(dups).getByRole('columnheader', { name: 'Cluster' })).toBeInTheDocument();
    expect(cells(dups).map((c) => [c[1], c[2], c[3]])).toEqual([
      ['payments', 'east', '2'],
      ['__proto__', 'main', '3'],
    ]);
    const dupGroups = within(dups)
      .getAllByRole('row')
      .slice(1)
      .map((r) => within(r).getAllByRole('link')[1]!.getAttribute('href'));
    expect(dupGroups).toEqual(['/groups/payments?cluster=east', '/groups/__proto__?cluster=main']);
  });

  it('leaves the cluster column out with one cluster, and still links each group on its cluster', async () => {
    stubApi({
      '/api/clusters': { clusters: [CLUSTERS.clusters[0]!] },
      '/api/audit': {
        ...twoClusters,
        duplicates: twoClusters.duplicates.slice(1),
        unaccounted: [skipped],
        findings: [lostSpan, skipped],
        counts: { ...twoClusters.counts, telemetryGaps: twoClusters.counts.telemetryGaps.slice(1) },
      },
    });
    renderAt('/audit');
    const lost = await screen.findByRole('region', { name: 'Skipped records' });
    await within(lost).findByRole('link', { name: 'inventory' });
    expect(screen.queryByRole('columnheader', { name: 'Cluster' })).toBeNull();
    expect(groupLinks(lost)).toEqual(['/groups/inventory?cluster=main']);
    expect(groupLinks(screen.getByRole('region', { name: 'Telemetry gaps' }))).toEqual([
      '/groups/inventory?cluster=main',
    ]);
  });

  it('says so when nothing was lost or duplicated', async () => {
    const audit: AuditResponse = {
      duplicates: [],
      unaccounted: [],
      findings: [],
      counts: { skipped: 0, telemetryMissing: 0, unknown: 0, loss: [], telemetryGaps: [] },
    };
    stubApi({ '/api/audit': audit });
    renderAt('/audit');
    expect(await screen.findByText('No skipped records.')).toBeInTheDocument();
    expect(screen.getByText('No telemetry gaps.')).toBeInTheDocument();
    expect(screen.getByText('No duplicate processing found.')).toBeInTheDocument();
  });
});
