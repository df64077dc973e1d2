import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MeResponse, type Redrive, type RedriveRequest } from '../../api/types.ts';
import { CAUSES, DLQ, DLQ_DETAIL, dlqRecord, NOW, redrive } from '../../test/fixtures.ts';
import { renderAt, stubApi } from '../../test/render.tsx';
import { describeOutcome, describeSelect } from '../redrives/describe.tsx';
import { DlqRecordView } from './DlqRecordView.tsx';
import { toSelect } from './RedriveDialog.tsx';

const viewer: MeResponse = {
  sso: false,
  authEnabled: true,
  principal: { subject: 'bob', name: 'bob', role: 'viewer', via: 'token' },
  csrfToken: null,
};

/**
 * stubApi's answers, plus POST /api/dlqs/payments.dlq/redrives answered by its body (a dry run
 * or a start), each request body kept.
 */
function stubRedriveApi(answers: Record<string, unknown>): { bodies: RedriveRequest[]; calls: string[] } {
  const api = stubApi(answers);
  const inner = globalThis.fetch;
  const bodies: RedriveRequest[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((input: RequestInfo | URL, init: RequestInit = {}) => {
      if (input === '/api/dlqs/payments.dlq/redrives' && init.method === 'POST' && typeof init.body === 'string') {
        const body = JSON.parse(init.body) as RedriveRequest;
        bodies.push(body);
        const answer = body.dryRun
          ? {
              cluster: 'main',
              count: 2,
              sample: [dlqRecord({ offset: 41, errorClass: 'DecodeError', key: 'order-41' })],
            }
          : { redrive: redrive({ select: body.select, target: body.target, ratePerSecond: body.ratePerSecond }) };
        return Promise.resolve(new Response(JSON.stringify(answer), { status: body.dryRun ? 200 : 202 }));
      }
      return inner(input, init);
    }),
  );
  return { bodies, calls: api.calls };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('DLQ triage', () => {
  it('lists the causes of a DLQ with counts, first and last seen and a trend', async () => {
    stubApi({ '/api/dlqs/payments.dlq': DLQ_DETAIL, '/api/dlqs/payments.dlq/causes': CAUSES });
    renderAt('/dlqs/payments.dlq');
    const table = await screen.findByRole('table', { name: 'Causes' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('DecodeError');
    expect(rows[0]).toHaveTextContent('unknown magic byte <hex> at offset <n>');
    expect(rows[0]).toHaveTextContent('30');
    expect(rows[0]).toHaveTextContent('unknown magic byte 0x7b at offset 3');
    expect(within(rows[0]!).getByRole('img')).toHaveAccessibleName(/oldest first: 0, 2, 5, 23$/);
    // An error class named like an Object.prototype key is a cause like any other.
    expect(rows[1]).toHaveTextContent('constructor');
  });

  it('lists the causes across every DLQ, with links to the DLQs', async () => {
    const api = stubApi({
      '/api/dlqs': { cluster: 'main', snapshotTime: NOW, dlqs: [DLQ] },
      '/api/dlq-causes': CAUSES,
    });
    renderAt('/dlqs');
    const panel = await screen.findByRole('region', { name: 'Causes across every DLQ' });
    const table = await within(panel).findByRole('table', { name: 'Causes' });
    expect(within(table).getAllByRole('link', { name: 'payments.dlq' })[0]).toHaveAttribute(
      'href',
      '/dlqs/payments.dlq?cluster=main',
    );
    expect(api.calls).toContain('/api/dlq-causes');
    // Nothing to redrive from here: no action column.
    expect(within(table).queryByRole('button')).toBeNull();
  });
});

describe('redrive dialog', () => {
  it("preselects a cause's error class, dry runs, then starts and lands on the redrive's page", async () => {
    const api = stubRedriveApi({
      '/api/dlqs/payments.dlq': DLQ_DETAIL,
      '/api/dlqs/payments.dlq/causes': CAUSES,
      '/api/redrives/rd-0001-aaaa-bbbb': { redrive: redrive() },
    });
    renderAt('/dlqs/payments.dlq');
    fireEvent.click(await screen.findByRole('button', { name: 'Redrive DecodeError records' }));
    const dialog = screen.getByRole('dialog', { name: 'Redrive records of payments.dlq' });
    expect(within(dialog).getByRole('combobox', { name: 'Error class' })).toHaveValue('DecodeError');
    const start = within(dialog).getByRole('button', { name: 'Redrive' });
    expect(start).toBeDisabled();

    fireEvent.click(within(dialog).getByRole('button', { name: 'Dry run' }));
    const sample = await within(dialog).findByRole('table', { name: 'Dry run sample' });
    expect(within(dialog).getByRole('region', { name: 'Dry run' })).toHaveTextContent('2 records match');
    expect(sample).toHaveTextContent('order-41');
    expect(api.bodies[0]).toEqual({
      select: { kind: 'filter', errorClass: 'DecodeError' },
      target: { kind: 'group-retry' },
      ratePerSecond: 50,
      dryRun: true,
    });

    // Editing the form makes the dry run stale: it has to run again.
    fireEvent.change(within(dialog).getByRole('spinbutton', { name: /Rate limit/ }), { target: { value: '200' } });
    expect(within(dialog).queryByRole('region', { name: 'Dry run' })).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Dry run' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Redrive 2 records' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/redrives/rd-0001-aaaa-bbbb'));
    expect(api.bodies[2]).toMatchObject({ ratePerSecond: 200, dryRun: false });
    await screen.findByRole('heading', { name: /Redrive rd-0001/ });
  });

  it('refuses a bad rate and a header value without a name before asking the collector', async () => {
    const api = stubRedriveApi({ '/api/dlqs/payments.dlq': DLQ_DETAIL });
    renderAt('/dlqs/payments.dlq');
    const opener = await screen.findByRole('button', { name: 'Redrive…' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByRole('radio', { name: /every record/ })).toHaveFocus();
    const rate = within(dialog).getByRole('spinbutton', { name: /Rate limit/ });
    fireEvent.change(rate, { target: { value: '0' } });
    expect(within(dialog).getByRole('alert')).toHaveTextContent('1 to 10,000');
    expect(within(dialog).getByRole('button', { name: 'Dry run' })).toBeDisabled();
    fireEvent.change(rate, { target: { value: '20' } });
    fireEvent.click(within(dialog).getByRole('radio', { name: /matching a filter/ }));
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'Header value' }), { target: { value: 'x' } });
    expect(within(dialog).getByRole('alert')).toHaveTextContent('A header value needs a header name.');
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(opener).toHaveFocus();
    expect(api.bodies).toEqual([]);
  });

  it('redrives the records picked in the list by offset', async () => {
    const api = stubRedriveApi({ '/api/dlqs/payments.dlq': DLQ_DETAIL });
    renderAt('/dlqs/payments.dlq');
    const records = await screen.findByRole('region', { name: 'Latest records' });
    const boxes = within(records).getAllByRole('checkbox');
    fireEvent.click(boxes[0]!);
    fireEvent.click(screen.getByRole('button', { name: 'Redrive…' }));
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByRole('radio', { name: /the 1 records picked/ })).toBeChecked();
    fireEvent.click(within(dialog).getByRole('radio', { name: /original topic/ }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Dry run' }));
    await within(dialog).findByRole('region', { name: 'Dry run' });
    const first = DLQ_DETAIL.dlq.latest[0]!;
    expect(api.bodies[0]?.select).toEqual({
      kind: 'offsets',
      records: [{ partition: first.partition, offset: String(first.offset) }],
    });
    expect(api.bodies[0]?.target).toEqual({ kind: 'original' });
  });

  it('is not offered to a viewer', async () => {
    stubApi({ '/auth/me': viewer, '/api/dlqs/payments.dlq': DLQ_DETAIL, '/api/dlqs/payments.dlq/causes': CAUSES });
    renderAt('/dlqs/payments.dlq');
    await screen.findByRole('table', { name: 'Causes' });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Set mark now' })).toBeDisabled());
    expect(screen.queryByRole('button', { name: /Redrive/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Show masked values' })).toBeNull();
    expect(screen.queryByRole('checkbox')).toBeNull();
  });
});

describe('unmasking', () => {
  it('reads the DLQ unmasked once when an operator asks, not again on live updates', async () => {
    const api = stubApi({ '/api/dlqs/payments.dlq': DLQ_DETAIL });
    const { client } = renderAt('/dlqs/payments.dlq');
    const toggle = await screen.findByRole('button', { name: 'Show masked values' });
    expect(toggle).toHaveAttribute('aria-pressed', 'false');
    fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await screen.findByText(/Masked values in clear/);
    const unmasked = () => api.calls.filter((c) => c === '/api/dlqs/payments.dlq?unmask=true');
    expect(unmasked()).toHaveLength(1);
    // A collector snapshot invalidates the DLQ queries: the live view refetches, the unmasked one does not.
    const before = api.calls.length;
    await act(() => client.invalidateQueries({ queryKey: ['dlqs'] }));
    await waitFor(() => expect(api.calls.length).toBeGreaterThan(before));
    expect(unmasked()).toHaveLength(1);
    fireEvent.click(toggle);
    expect(screen.queryByText(/Masked values in clear/)).toBeNull();
  });
});

/** An EventSource the test drives: `emit` sends a `progress` event. */
class FakeEventSource extends EventTarget {
  static all: FakeEventSource[] = [];
  readyState = 1;
  readonly url: string;
  constructor(url: string) {
    super();
    this.url = url;
    FakeEventSource.all.push(this);
  }
  /** The redrive's stream (the app's own /api/stream is another one). */
  static redrive(): FakeEventSource {
    const es = FakeEventSource.all.find((e) => e.url.startsWith('/api/redrives/'));
    if (!es) throw new Error('no redrive event stream opened');
    return es;
  }
  emit(r: Redrive) {
    this.dispatchEvent(new MessageEvent('progress', { data: JSON.stringify(r) }));
  }
  close() {
    this.readyState = 2;
  }
}

describe('redrive page', () => {
  it('shows progress from the event stream to completion and the outcome; cancel while running', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    const api = stubApi({
      '/api/redrives/rd-0001-aaaa-bbbb': { redrive: redrive() },
      '/api/redrives/rd-0001-aaaa-bbbb/cancel': { redrive: redrive({ status: 'cancelled', finishedAtMs: NOW }) },
    });
    renderAt('/redrives/rd-0001-aaaa-bbbb');
    const progress = await screen.findByRole('progressbar', { name: 'Records redriven' });
    expect(progress).toHaveAttribute('value', '10');
    expect(screen.getByRole('region', { name: 'Progress' })).toHaveTextContent('10 of 30 sent');
    expect(FakeEventSource.redrive().url).toBe('/api/redrives/rd-0001-aaaa-bbbb/events');
    expect(screen.getByRole('button', { name: 'Cancel redrive' })).toBeEnabled();

    act(() => FakeEventSource.redrive().emit(redrive({ sent: 20 })));
    await waitFor(() => expect(progress).toHaveAttribute('value', '20'));
    const done = redrive({
      status: 'completed',
      sent: 30,
      finishedAtMs: NOW,
      outcome: { processed: 28, deadLetteredAgain: 2, pending: 0 },
    });
    act(() => FakeEventSource.redrive().emit(done));
    const outcome = screen.getByRole('region', { name: 'Outcome' });
    await waitFor(() => expect(outcome).toHaveTextContent('28 processed, 2 back in the DLQ, 0 pending'));
    expect(FakeEventSource.redrive().readyState).toBe(2);
    expect(screen.queryByRole('button', { name: 'Cancel redrive' })).toBeNull();
    expect(api.calls).not.toContain('/api/redrives/rd-0001-aaaa-bbbb/cancel');
  });

  it('cancels a running redrive', async () => {
    const api = stubApi({
      '/api/redrives/rd-0001-aaaa-bbbb': { redrive: redrive() },
      '/api/redrives/rd-0001-aaaa-bbbb/cancel': { redrive: redrive({ status: 'cancelled', finishedAtMs: NOW }) },
    });
    renderAt('/redrives/rd-0001-aaaa-bbbb');
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel redrive' }));
    await waitFor(() => expect(screen.getByRole('region', { name: 'Progress' })).toHaveTextContent('cancelled'));
    expect(api.calls).toContain('/api/redrives/rd-0001-aaaa-bbbb/cancel');
  });

  it('lists redrives with their outcome', async () => {
    stubApi({
      '/api/redrives': { redrives: [redrive({ status: 'completed' }), redrive({ id: 'rd-2', status: 'failed' })] },
    });
    renderAt('/redrives');
    const table = await screen.findByRole('table', { name: 'Redrives' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('completed');
    expect(rows[0]).toHaveTextContent('4 processed, 1 back in the DLQ, 5 pending');
    expect(rows[0]).toHaveTextContent('records with error class DecodeError');
    expect(within(rows[1]!).getByRole('link', { name: 'rd-2' })).toHaveAttribute('href', '/redrives/rd-2');
  });
});

describe('redrive pieces', () => {
  it('marks a redriven record with a link to its last redrive', () => {
    render(
      <MemoryRouter>
        <DlqRecordView
          open
          cluster="main"
          record={dlqRecord({
            offset: 7,
            redrives: [
              { id: 'rd-1', atMs: NOW - 60_000 },
              { id: 'rd-2', atMs: NOW - 1_000 },
            ],
          })}
        />
      </MemoryRouter>,
    );
    expect(screen.getByRole('link', { name: /redriven ×2/ })).toHaveAttribute('href', '/redrives/rd-2');
    // The summary (the toggle) says so too, as text: no control inside the control.
    const summary = screen.getByText('1 attempt', { exact: false }).closest('summary')!;
    expect(summary).toHaveTextContent('redriven ×2');
    expect(summary.querySelector('a, button, input')).toBeNull();
  });

  it('turns the form into a selection, and says in words what was selected', () => {
    const blank = {
      errorClass: '',
      originalTopic: ' orders ',
      group: '',
      key: '',
      headerName: 'x-tenant',
      headerValue: '__proto__',
      from: '2500-01-01T00:00:00',
      to: '2500-01-01T00:00:01',
    };
    const select = toSelect('filter', blank, []);
    expect(select).toMatchObject({
      kind: 'filter',
      originalTopic: 'orders',
      header: { name: 'x-tenant', value: '__proto__' },
    });
    expect(typeof select === 'object' && select.kind === 'filter' && select.fromMs).toBeGreaterThan(1.6e13);
    expect(toSelect('filter', { ...blank, to: blank.from }, [])).toBe('"Until" must be after "from".');
    expect(toSelect('offsets', blank, [])).toBe('Pick records in the list first.');
    expect(describeSelect({ kind: 'all' })).toBe('every record');
    expect(describeOutcome({ processed: 118, deadLetteredAgain: 2, pending: 0 })).toBe(
      '118 processed, 2 back in the DLQ, 0 pending',
    );
  });
});
