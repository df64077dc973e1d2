import { createContext, useContext } from 'react';

/** State of the SSE connection to /api/stream. */
export type LiveStatus = 'connecting' | 'live' | 'offline';

export const LiveStatusContext = createContext<LiveStatus>('offline');

export function useLiveStatus(): LiveStatus {
  return useContext(LiveStatusContext);
}
