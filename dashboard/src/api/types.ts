/**
 * The collector's HTTP API as the dashboard reads it. Every shape comes from the collector's
 * TypeBox route schemas (`@eventscope/collector/api-types`, type imports only: nothing of the
 * collector reaches the bundle), so a schema change is a type error here at once. What this
 * file adds: the few values the dashboard needs at run time, each checked against those types.
 */
import type { LagStatus, SagaStatus } from '@eventscope/collector/api-types';

export type * from '@eventscope/collector/api-types';

/**
 * Every lag status, in the order the filters offer them. `Record<LagStatus, …>` makes the
 * compiler refuse a list that misses a status the collector can send, or names one it cannot.
 */
const LAG_STATUS_ORDER: Record<LagStatus, number> = { OK: 0, WARN: 1, REWIND: 2, STALL: 3, STOP: 4, ERR: 5 };
export const LAG_STATUSES = (Object.keys(LAG_STATUS_ORDER) as LagStatus[]).sort(
  (a, b) => LAG_STATUS_ORDER[a] - LAG_STATUS_ORDER[b],
);

/** Every saga status, in the order the overview and the filters show them (checked as above). */
const SAGA_STATUS_ORDER: Record<SagaStatus, number> = {
  in_flight: 0,
  completed: 1,
  compensated: 2,
  failed: 3,
  stuck: 4,
};
export const SAGA_STATUSES = (Object.keys(SAGA_STATUS_ORDER) as SagaStatus[]).sort(
  (a, b) => SAGA_STATUS_ORDER[a] - SAGA_STATUS_ORDER[b],
);

/** The collector keeps overview series (throughput, latency) for 6 hours; saga outcomes cover any range. */
export const OVERVIEW_MAX_SECONDS = 6 * 3600;

/** The collector keeps the flow map for the last hour (`rangeSeconds` maximum of GET /api/flows). */
export const FLOW_MAP_MAX_SECONDS = 3600;
