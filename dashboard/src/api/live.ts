/**
 * Live updates: one EventSource on /api/stream. The collector sends
 * - `snapshot` (a lag/DLQ poll of one cluster finished): lag, topic, DLQ, overview, flow and
 *   cluster data changed;
 * - `saga` (`{correlationId, status}`): that saga, the saga lists and the overview changed.
 * Invalidations are batched (at most one flush per `flushMs`) so a busy saga stream does not
 * refetch on every event.
 */
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from './client.ts';
import { type LiveStatus } from './live-context.ts';
import { type SagaEvent } from './types.ts';

export interface LiveOptions {
  url?: string;
  flushMs?: number;
  /** Injected in tests. */
  createEventSource?: (url: string) => EventSource;
}

interface Pending {
  snapshot: boolean;
  sagas: Set<string>;
  anySaga: boolean;
}

export function flushInvalidations(client: QueryClient, pending: Pending): void {
  const keys: (readonly unknown[])[] = [];
  // A snapshot of any cluster: its lag and the clusters' state (every cluster's keys, by prefix).
  // DLQ causes too: while live they are not polled, so without this they stayed as first read.
  if (pending.snapshot)
    keys.push(['overview'], ['groups'], ['topics'], ['dlqs'], ['dlq-causes'], ['flows'], ['event'], ['clusters']);
  if (pending.anySaga) {
    keys.push(['sagas'], ['audit'], ['event']);
    if (!pending.snapshot) keys.push(['overview']);
    for (const id of pending.sagas) keys.push(['saga', id]);
  }
  const seen = new Set<string>();
  for (const queryKey of keys) {
    const k = JSON.stringify(queryKey);
    if (seen.has(k)) continue;
    seen.add(k);
    void client.invalidateQueries({ queryKey });
  }
}

function parseSaga(data: unknown): SagaEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const parsed = JSON.parse(data) as Partial<SagaEvent>;
    return typeof parsed.correlationId === 'string' ? (parsed as SagaEvent) : null;
  } catch {
    return null;
  }
}

/** The collector could not be reached at all: refused, timed out, or a proxy's 502/504. */
function unreachable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status === 502 || error.status === 504);
}

/**
 * True while the last API answer was "the collector cannot be reached". An event stream to a
 * collector that accepts connections and never answers stays CONNECTING for good; the failed
 * requests tell the header it is offline.
 */
function useCollectorUnreachable(client: QueryClient): boolean {
  const [down, setDown] = useState(false);
  useEffect(
    () =>
      client.getQueryCache().subscribe((event) => {
        if (event.type !== 'updated') return;
        const { state } = event.query;
        if (state.status === 'error' && unreachable(state.error)) setDown(true);
        else if (state.status === 'success' && state.fetchStatus === 'idle' && state.error === null) setDown(false);
      }),
    [client],
  );
  return down;
}

export function useLiveUpdates(options: LiveOptions = {}): LiveStatus {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const down = useCollectorUnreachable(client);
  const { url = '/api/stream', flushMs = 1000, createEventSource } = options;

  useEffect(() => {
    if (!createEventSource && typeof EventSource === 'undefined') {
      setStatus('offline');
      return;
    }
    const source = createEventSource ? createEventSource(url) : new EventSource(url);
    let pending: Pending = { snapshot: false, sagas: new Set(), anySaga: false };
    let timer: ReturnType<typeof setTimeout> | undefined;

    const schedule = () => {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        const p = pending;
        pending = { snapshot: false, sagas: new Set(), anySaga: false };
        flushInvalidations(client, p);
      }, flushMs);
    };
    const onSnapshot = () => {
      pending.snapshot = true;
      schedule();
    };
    const onSaga = (e: MessageEvent) => {
      pending.anySaga = true;
      const saga = parseSaga(e.data);
      if (saga) pending.sagas.add(saga.correlationId);
      schedule();
    };
    const onOpen = () => setStatus('live');
    // EventSource reconnects by itself; CONNECTING while it retries, CLOSED when it gave up.
    const onError = () => setStatus(source.readyState === 2 ? 'offline' : 'connecting');

    source.addEventListener('snapshot', onSnapshot);
    source.addEventListener('saga', onSaga as EventListener);
    source.addEventListener('open', onOpen);
    source.addEventListener('error', onError);
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      source.removeEventListener('snapshot', onSnapshot);
      source.removeEventListener('saga', onSaga as EventListener);
      source.removeEventListener('open', onOpen);
      source.removeEventListener('error', onError);
      source.close();
    };
  }, [client, url, flushMs, createEventSource]);

  return status !== 'live' && down ? 'offline' : status;
}
