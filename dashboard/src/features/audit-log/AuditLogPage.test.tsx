import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AuditLogEntry, AuditLogResponse } from '../../api/types.ts';
import { errorAnswer, renderAt, stubApi } from '../../test/render.tsx';

const entry = (over: Partial<AuditLogEntry>): AuditLogEntry => ({
  id: 1,
  timeMs: Date.now() - 60_000,
  subject: 'ops',
  role: 'operator',
  via: 'token',
  action: 'POST /api/dlqs/:topic/mark',
  target: 'topic=payments.dlq',
  result: 'ok',
  detail: null,
  remoteAddress: '10.0.0.7',
  userAgent: 'curl/8.5',
  ...over,
});

describe('AuditLogPage', () => {
  it('lists who did what to what, the result and from where, newest first, with a nav link', async () => {
    const page: AuditLogResponse = {
      entries: [
        entry({ id: 9 }),
        entry({ id: 8, subject: 'anonymous', role: null, via: null, result: 'refused: unauthorized', userAgent: null }),
        entry({ id: 7, subject: 'bob', role: 'viewer', via: 'session', result: 'refused: forbidden' }),
      ],
      nextBefore: null,
    };
    stubApi({ '/api/audit-log': page });
    renderAt('/audit-log');
    expect(await screen.findByRole('heading', { name: 'Audit log' })).toBeInTheDocument();
    const rows = within(await screen.findByRole('region', { name: 'Audit log entries' })).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toHaveTextContent('ops (operator, token)');
    expect(rows[1]).toHaveTextContent('POST /api/dlqs/:topic/mark');
    expect(rows[1]).toHaveTextContent('topic=payments.dlq');
    expect(rows[1]).toHaveTextContent('10.0.0.7');
    expect(within(rows[1] as HTMLElement).getByText('ok')).toHaveClass('badge-ok');
    expect(rows[2]).toHaveTextContent('anonymous');
    expect(within(rows[2] as HTMLElement).getByText('refused: unauthorized')).toHaveClass('badge-err');
    expect(rows[3]).toHaveTextContent('bob (viewer, session)');
    expect(screen.queryByRole('button', { name: 'Older' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Audit log' })).toHaveAttribute('href', '/audit-log');
  });

  it('pages to older entries with the cursor in the URL', async () => {
    const api = stubApi({
      '/api/audit-log': { entries: [entry({ id: 5 })], nextBefore: 5 } satisfies AuditLogResponse,
    });
    renderAt('/audit-log');
    fireEvent.click(await screen.findByRole('button', { name: 'Older' }));
    expect(await screen.findByRole('button', { name: 'Newest' })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/audit-log?before=5');
    expect(api.calls).toContain('/api/audit-log?before=5');
  });

  it('says so when nothing was recorded, and shows an error the collector sent', async () => {
    stubApi({ '/api/audit-log': { entries: [], nextBefore: null } });
    const first = renderAt('/audit-log');
    expect(await screen.findByText('No state changes recorded yet.')).toBeInTheDocument();
    first.unmount();
    stubApi({ '/api/audit-log': errorAnswer(401, { error: 'UNAUTHORIZED', message: 'sign in' }) });
    renderAt('/audit-log');
    expect(await screen.findByRole('alert')).toBeInTheDocument();
  });
});
