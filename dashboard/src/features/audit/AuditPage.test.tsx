import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AuditResponse } from '../../api/types.ts';
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
