/**
 * A running redrive's progress over SSE: `GET /api/redrives/:id/events` sends `progress` events
 * whose data is the redrive (the same shape as `GET /api/redrives/:id`) until a terminal status.
 * Each event is written into the redrive's query, so the page reads one source either way.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { invalidateRedrives, queryKeys } from './queries.ts';
import { type Redrive, type RedriveResponse } from './types.ts';

/** `live`: events arrive; `closed`: the stream ended (terminal status) or is not available: poll instead. */
export type RedriveStream = 'connecting' | 'live' | 'closed';

export function parseRedrive(data: unknown): Redrive | null {
  if (typeof data !== 'string') return null;
  try {
    const parsed = JSON.parse(data) as Partial<Redrive> | null;
    return parsed && typeof parsed.id === 'string' && typeof parsed.status === 'string' ? (parsed as Redrive) : null;
  } catch {
    return null;
  }
}

export function useRedriveEvents(
  id: string,
  running: boolean,
  createEventSource?: (url: string) => EventSource,
): RedriveStream {
  const client = useQueryClient();
  const [stream, setStream] = useState<RedriveStream>('connecting');
  useEffect(() => {
    if (!running) return;
    if (!createEventSource && typeof EventSource === 'undefined') {
      setStream('closed');
      return;
    }
    const url = `/api/redrives/${encodeURIComponent(id)}/events`;
    const source = createEventSource ? createEventSource(url) : new EventSource(url);
    const onProgress = (e: MessageEvent) => {
      const redrive = parseRedrive(e.data);
      if (!redrive || redrive.id !== id) return;
      setStream('live');
      client.setQueryData<RedriveResponse>(queryKeys.redrive(id), { redrive });
      if (redrive.status !== 'running') {
        source.close();
        setStream('closed');
        void invalidateRedrives(client, redrive);
      }
    };
    // EventSource retries by itself; once it gives up (CLOSED) the query polls instead.
    const onError = () => {
      if (source.readyState === 2) setStream('closed');
    };
    source.addEventListener('progress', onProgress as EventListener);
    source.addEventListener('error', onError);
    return () => {
      source.removeEventListener('progress', onProgress as EventListener);
      source.removeEventListener('error', onError);
      source.close();
    };
  }, [client, id, running, createEventSource]);
  return stream;
}
