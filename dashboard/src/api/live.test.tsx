import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useLiveUpdates } from './live.ts';

/** A stand-in for the browser's EventSource that the test drives. */
class FakeSource extends EventTarget {
  readyState = 0;
  closed = false;
  emit(type: string, data?: unknown) {
    this.dispatchEvent(new MessageEvent(type, { data: data === undefined ? undefined : JSON.stringify(data) }));
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
}

function setup() {
  const client = new QueryClient();
  const invalidate = vi.spyOn(client, 'invalidateQueries').mockResolvedValue();
  const source = new FakeSource();
  const create = vi.fn(() => source as unknown as EventSource);
  function Probe() {
    const status = useLiveUpdates({ flushMs: 20, createEventSource: create });
    return <output>{status}</output>;
  }
  const utils = render(
    <QueryClientProvider client={client}>
      <Probe />
    </QueryClientProvider>,
  );
  const keys = () => invalidate.mock.calls.map((c) => JSON.stringify(c[0]?.queryKey));
  return { source, create, keys, invalidate, ...utils };
}

describe('useLiveUpdates', () => {
  it('connects to /api/stream and reports live once open', () => {
    const { source, create } = setup();
    expect(create).toHaveBeenCalledWith('/api/stream');
    expect(screen.getByRole('status')).toHaveTextContent('connecting');
    act(() => source.emit('open'));
    expect(screen.getByRole('status')).toHaveTextContent('live');
    act(() => {
      source.readyState = 2;
      source.emit('error');
    });
    expect(screen.getByRole('status')).toHaveTextContent('offline');
  });

  it('invalidates lag, DLQ, overview, flow and cluster queries on a snapshot of any cluster, batched', async () => {
    const { source, keys } = setup();
    act(() => {
      source.emit('snapshot', { at: 1, cluster: 'main' });
      source.emit('snapshot', { at: 2, cluster: 'dr' });
    });
    expect(keys()).toEqual([]);
    await act(() => new Promise((r) => setTimeout(r, 40)));
    expect(keys()).toEqual([
      '["overview"]',
      '["groups"]',
      '["topics"]',
      '["dlqs"]',
      '["dlq-causes"]',
      '["flows"]',
      '["event"]',
      '["clusters"]',
    ]);
  });

  it('invalidates the changed sagas, the saga lists and the overview on saga events', async () => {
    const { source, keys } = setup();
    act(() => {
      source.emit('saga', { correlationId: 'order-1', status: 'in_flight' });
      source.emit('saga', { correlationId: 'order-2', status: 'completed' });
      source.emit('saga', 'not json');
    });
    await act(() => new Promise((r) => setTimeout(r, 40)));
    expect(keys()).toEqual([
      '["sagas"]',
      '["audit"]',
      '["event"]',
      '["overview"]',
      '["saga","order-1"]',
      '["saga","order-2"]',
    ]);
  });

  it('closes the stream on unmount', () => {
    const { source, unmount } = setup();
    unmount();
    expect(source.closed).toBe(true);
  });
});
