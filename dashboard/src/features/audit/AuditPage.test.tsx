import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderAt, stubApi } from '../../test/render.tsx';

describe('AuditPage', () => {
  it('lists unaccounted records and duplicates with links to the event, group and saga', async () => {
    const now = Date.now();
    stubApi({
      '/api/audit': {
        duplicates: [{ eventId: 'e1', group: 'payments', count: 2, firstMs: now - 5000, lastMs: now - 1000 }],
        unaccounted: [
          {
            group: 'inventory',
            topic: 'orders',
            partition: 1,
            offset: 1234,
            eventId: null,
            correlationId: 'order-5',
            detectedMs: now - 60_000,
          },
        ],
      },
    });
    renderAt('/audit');
    const lost = await screen.findByRole('region', { name: 'Unaccounted records' });
    expect(lost).toHaveTextContent('orders / 1');
    expect(lost).toHaveTextContent('1,234');
    expect(within(lost).getByRole('link', { name: 'order-5' })).toHaveAttribute('href', '/sagas/order-5');
    const dups = screen.getByRole('region', { name: 'Duplicates' });
    expect(within(dups).getByRole('link', { name: 'e1' })).toHaveAttribute('href', '/events/e1');
    expect(within(dups).getAllByRole('row')[1]).toHaveTextContent('2');
  });

  it('says so when nothing was lost or duplicated', async () => {
    stubApi({ '/api/audit': { duplicates: [], unaccounted: [] } });
    renderAt('/audit');
    expect(await screen.findByText('No unaccounted records.')).toBeInTheDocument();
    expect(screen.getByText('No duplicate processing found.')).toBeInTheDocument();
  });
});
