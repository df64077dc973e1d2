import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { DLQ, DLQ_DETAIL, DLQ_HISTORY, dlqRecord, OVERVIEW } from '../../test/fixtures.ts';
import { DlqRecordView } from './DlqRecordView.tsx';
import { errorAnswer, renderAt, stubApi } from '../../test/render.tsx';

describe('DlqsPage', () => {
  it('lists DLQ topics with depth, growth, groups and top reasons', async () => {
    stubApi({
      '/api/dlqs': {
        cluster: 'main',
        snapshotTime: Date.now(),
        // Its last growth 30 s before now, not before the fixtures' NOW (which ages as other files run).
        dlqs: [
          { ...DLQ, lastGrowthAt: Date.now() - 30_000 },
          { ...DLQ, topic: 'empty.dlq', depth: 0, reasons: [] },
        ],
      },
    });
    renderAt('/dlqs');
    const table = await screen.findByRole('table', { name: 'DLQ topics' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('payments.dlq');
    expect(rows[0]).toHaveTextContent('6/min');
    expect(rows[0]).toHaveTextContent('no mark');
    expect(rows[0]).toHaveTextContent('DecodeError (30), TransientError (12)');
    expect(rows[0]).toHaveTextContent(/3\d s ago/);
    expect(within(rows[0]!).getByRole('link', { name: 'payments.dlq' })).toHaveAttribute(
      'href',
      '/dlqs/payments.dlq?cluster=main',
    );
    // The groups that dead-letter into it are links to their pages.
    for (const g of DLQ.groups) {
      expect(within(rows[0]!).getByRole('link', { name: g })).toHaveAttribute('href', `/groups/${g}?cluster=main`);
    }
    expect(rows[1]).toHaveTextContent('empty.dlq');
  });

  it('says where DLQs come from when there are none', async () => {
    stubApi({
      '/api/dlqs': { cluster: 'main', snapshotTime: Date.now(), dlqs: [] },
      '/api/overview': { ...OVERVIEW, setup: { ...OVERVIEW.setup, dlqPattern: 'dead-letters.*' } },
    });
    renderAt('/dlqs');
    expect(await screen.findByText('No DLQ topics found.')).toBeInTheDocument();
    // The pattern as the collector is configured, not the default restated.
    expect(await screen.findByText('dead-letters.*')).toBeInTheDocument();
    expect(screen.getByText('EVENTSCOPE_DLQ_PATTERN')).toBeInTheDocument();
    expect(screen.getByText('dead-letters.*').parentElement).not.toHaveTextContent('*.dlq');
  });
});

describe('DlqDetailPage', () => {
  it('shows reasons largest first, and the latest records with headers and decoded payload', async () => {
    stubApi({ '/api/dlqs/payments.dlq': DLQ_DETAIL });
    renderAt('/dlqs/payments.dlq');
    const reasons = await screen.findByRole('list', { name: 'Error reasons' });
    const items = within(reasons).getAllByRole('listitem');
    expect(items[0]).toHaveTextContent('DecodeError');
    expect(items[0]).toHaveTextContent('30');
    expect(items[1]).toHaveTextContent('TransientError');

    const records = screen.getByRole('region', { name: 'Latest records' });
    const first = within(records).getAllByRole('group')[0]!;
    expect(first).toHaveAttribute('open');
    expect(first).toHaveTextContent('orders/2@1,234');
    expect(first).toHaveTextContent('3 attempts');
    expect(within(first).getByText('dlq-error-message')).toBeInTheDocument();
    // every header as received, not only the dlq-* ones
    expect(within(first).getByText('x-tenant')).toBeInTheDocument();
    expect(within(first).getByText('acme', { selector: 'dd' })).toBeInTheDocument();
    expect(within(first).getByText('traceparent')).toBeInTheDocument();
    expect(within(first).getByText('unknown magic byte 0x7b', { selector: 'dd' })).toBeInTheDocument();
    expect(first.querySelector('pre.payload')?.textContent).toContain('"amountCents": 1999');
    expect(first).toHaveTextContent('avro, schema 3');
    expect(within(first).getByRole('link', { name: 'order-17' })).toHaveAttribute('href', '/sagas/order-17');
    expect(within(first).getByRole('link', { name: /event 0193a1b2/ })).toHaveAttribute(
      'href',
      '/events/0193a1b2-0000-7000-8000-0000000000aa',
    );
    expect(records).toHaveTextContent('Could not decode the value: schema 99 not found in the registry');
    // A value too large to show whole says so with its real size; odd dlq-* headers are named.
    expect(records).toHaveTextContent('Too large to show whole: the first part of 614,400 bytes.');
    expect(within(records).getByRole('list', { name: 'Header problems' })).toHaveTextContent("dlq-attempts '1.5'");
    expect(records).toHaveTextContent('AAAAAGM=');
    const reasonsPanel = screen.getByRole('region', { name: 'Reasons' });
    expect(reasonsPanel).toHaveTextContent('unknown magic byte 0x7b');
    expect(screen.getByText('growth').previousSibling).toHaveTextContent('6/min');
  });

  it("charts the depth from the collector's history, one sample per poll", async () => {
    const api = stubApi({ '/api/dlqs/payments.dlq': DLQ_DETAIL, '/api/dlqs/payments.dlq/history': DLQ_HISTORY });
    renderAt('/dlqs/payments.dlq');
    const panel = await screen.findByRole('region', { name: 'Depth over time' });
    await waitFor(() => expect(panel).toHaveTextContent('Latest: depth 42, added per poll 2'));
    expect(panel).toHaveTextContent('the collector keeps the last 720 polls');
    expect(api.calls).toContain('/api/dlqs/payments.dlq/history');
  });

  it('says so when the history cannot be read, and still shows the records', async () => {
    stubApi({
      '/api/dlqs/payments.dlq': DLQ_DETAIL,
      '/api/dlqs/payments.dlq/history': errorAnswer(500, { error: 'INTERNAL', message: 'boom' }),
    });
    renderAt('/dlqs/payments.dlq');
    const panel = await screen.findByRole('region', { name: 'Depth over time' });
    await waitFor(() => expect(within(panel).getByRole('alert')).toBeInTheDocument());
    expect(screen.getByRole('region', { name: 'Latest records' })).toBeInTheDocument();
  });

  it('filters records by error class through the URL', async () => {
    stubApi({ '/api/dlqs/payments.dlq': DLQ_DETAIL });
    renderAt('/dlqs/payments.dlq?reason=TransientError');
    const records = await screen.findByRole('region', { name: 'Latest records' });
    expect(within(records).getAllByRole('group')).toHaveLength(1);
    expect(records).toHaveTextContent('orders/0@77');
  });

  it('sets the mark with a POST and refetches', async () => {
    const api = stubApi({
      '/api/dlqs/payments.dlq': DLQ_DETAIL,
      '/api/dlqs/payments.dlq/mark': {
        topic: 'payments.dlq',
        mark: { at: Date.now(), endOffsets: { '0': 42 } },
        addedSinceMark: 0,
      },
    });
    renderAt('/dlqs/payments.dlq');
    await screen.findByRole('region', { name: 'Latest records' });
    fireEvent.click(screen.getByRole('button', { name: 'Set mark now' }));
    await waitFor(() => expect(api.calls).toContain('/api/dlqs/payments.dlq/mark'));
    await waitFor(() => expect(api.calls.filter((c) => c === '/api/dlqs/payments.dlq')).toHaveLength(2));
  });
});

describe('DlqRecordView', () => {
  it('says "1 attempt" for a record dead-lettered at once, and shows a record without headers', () => {
    render(
      <MemoryRouter>
        <DlqRecordView cluster="main" record={dlqRecord({ offset: 7, attempts: 1, errorClass: 'DecodeError' })} />
      </MemoryRouter>,
    );
    expect(screen.getByText(/1 attempt ·/)).toBeInTheDocument();
    expect(screen.queryByText(/attempts/)).toBeNull();
    expect(screen.getByText('No headers.')).toBeInTheDocument();
  });
});
