/**
 * TanStack Query hooks: the only way views get server data. Query keys are grouped so the
 * live stream (live.ts) can invalidate exactly what a collector event changed.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useClusterParam } from '../lib/cluster-param.ts';
import { useLiveStatus } from './live-context.ts';
import { apiGet, apiPost, qs } from './client.ts';
import {
  type AuditLogResponse,
  type AuditResponse,
  type ClustersResponse,
  type DlqDetailResponse,
  type DlqHistoryResponse,
  type DlqMarkResponse,
  type DlqCausesResponse,
  type DlqsResponse,
  type EventView,
  type FlowMapResponse,
  type GroupDetailResponse,
  type GroupsResponse,
  type OverviewResponse,
  type Redrive,
  type RedriveDryRunResponse,
  type RedrivesResponse,
  type RedriveRequest,
  type RedriveResponse,
  type SagaPage,
  type SagaStatus,
  type SagaView,
  type SearchResponse,
  type TopicsResponse,
  type TraceView,
} from './types.ts';

export interface SagaFilters {
  status?: SagaStatus | undefined;
  type?: string | undefined;
  q?: string | undefined;
  /** Sagas this consumer group took part in. */
  group?: string | undefined;
  rangeSeconds?: number | undefined;
  /** An absolute window (epoch ms): sagas started in it; wins over rangeSeconds. */
  fromMs?: number | undefined;
  toMs?: number | undefined;
  limit?: number | undefined;
}

/**
 * Keys of the Kafka monitor's answers hold the cluster asked for ('' = the collector's primary):
 * `['groups', cluster]` is a list, `['groups', cluster, group]` one group. Prefixes (`['groups']`)
 * still reach every cluster's.
 */
export const queryKeys = {
  clusters: () => ['clusters'] as const,
  overview: (cluster: string, rangeSeconds: number) => ['overview', cluster, rangeSeconds] as const,
  groups: (cluster: string) => ['groups', cluster] as const,
  group: (cluster: string, group: string) => ['groups', cluster, group] as const,
  topics: (cluster: string) => ['topics', cluster] as const,
  dlqs: (cluster: string) => ['dlqs', cluster] as const,
  dlq: (cluster: string, topic: string) => ['dlqs', cluster, topic] as const,
  dlqHistory: (cluster: string, topic: string) => ['dlqs', cluster, topic, 'history'] as const,
  sagas: (filters: SagaFilters) => ['sagas', filters] as const,
  saga: (correlationId: string) => ['saga', correlationId] as const,
  event: (eventId: string) => ['event', eventId] as const,
  trace: (traceId: string) => ['trace', traceId] as const,
  search: (q: string) => ['search', q] as const,
  audit: () => ['audit'] as const,
  auditLog: (before: number | undefined) => ['audit-log', before ?? null] as const,
  flows: (rangeSeconds: number) => ['flows', rangeSeconds] as const,
  dlqCauses: (cluster: string, topic: string | null) => ['dlq-causes', cluster, topic] as const,
  dlqUnmasked: (cluster: string, topic: string) => ['dlq-unmasked', cluster, topic] as const,
  redrives: (cluster: string) => ['redrives', 'list', cluster] as const,
  redrive: (id: string) => ['redrives', id] as const,
};

/** Without the live stream, poll instead so the page still moves. */
function usePoll(ms = 10_000): number | false {
  return useLiveStatus() === 'live' ? false : ms;
}

const enc = encodeURIComponent;

/**
 * The Kafka clusters the collector watches, whether each is connected and why not. Polled also
 * while live: a cluster that cannot be reached sends no snapshot events.
 */
export function useClusters() {
  return useQuery({
    queryKey: queryKeys.clusters(),
    queryFn: ({ signal }) => apiGet<ClustersResponse>('/api/clusters', signal),
    refetchInterval: 15_000,
  });
}

// The Kafka monitor's and the DLQs' answers are for the cluster picked in the URL (`?cluster=`,
// none: qs leaves out '' and the collector answers for its primary cluster).

export function useOverview(rangeSeconds: number) {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.overview(cluster, rangeSeconds),
    queryFn: ({ signal }) => apiGet<OverviewResponse>(`/api/overview${qs({ rangeSeconds, cluster })}`, signal),
    refetchInterval,
  });
}

export function useGroups() {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.groups(cluster),
    queryFn: ({ signal }) => apiGet<GroupsResponse>(`/api/groups${qs({ cluster })}`, signal),
    refetchInterval,
  });
}

export function useGroup(group: string) {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.group(cluster, group),
    queryFn: ({ signal }) => apiGet<GroupDetailResponse>(`/api/groups/${enc(group)}${qs({ cluster })}`, signal),
    refetchInterval,
  });
}

export function useTopics() {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.topics(cluster),
    queryFn: ({ signal }) => apiGet<TopicsResponse>(`/api/topics${qs({ cluster })}`, signal),
    refetchInterval,
  });
}

export function useDlqs() {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.dlqs(cluster),
    queryFn: ({ signal }) => apiGet<DlqsResponse>(`/api/dlqs${qs({ cluster })}`, signal),
    refetchInterval,
  });
}

export function useDlq(topic: string) {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.dlq(cluster, topic),
    queryFn: ({ signal }) => apiGet<DlqDetailResponse>(`/api/dlqs/${enc(topic)}${qs({ cluster })}`, signal),
    refetchInterval,
  });
}

/**
 * The DLQ with masked fields and headers in clear (`?unmask=true`: operators only, and the
 * collector writes each such read to the audit log). Read once when asked for: outside the
 * `dlqs` keys, so live updates and polling do not read (and audit) it again.
 */
export function useDlqUnmasked(topic: string, enabled: boolean) {
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.dlqUnmasked(cluster, topic),
    queryFn: ({ signal }) =>
      apiGet<DlqDetailResponse>(`/api/dlqs/${enc(topic)}${qs({ unmask: 'true', cluster })}`, signal),
    enabled,
    staleTime: Infinity,
    gcTime: 0,
  });
}

/** The DLQ's depth at each poll the collector kept (about the last hour), oldest first. */
export function useDlqHistory(topic: string) {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.dlqHistory(cluster, topic),
    queryFn: ({ signal }) => apiGet<DlqHistoryResponse>(`/api/dlqs/${enc(topic)}/history${qs({ cluster })}`, signal),
    refetchInterval,
  });
}

/** Sets the DLQ's mark to now, so "added since mark" counts from here. */
export function useMarkDlq(topic: string) {
  const client = useQueryClient();
  const cluster = useClusterParam();
  return useMutation({
    mutationFn: () => apiPost<DlqMarkResponse>(`/api/dlqs/${enc(topic)}/mark${qs({ cluster })}`),
    // A mark is a state change: the audit log has a new row.
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.dlqs(cluster) }),
        client.invalidateQueries({ queryKey: ['audit-log'] }),
      ]),
  });
}

export function useSagas(filters: SagaFilters) {
  const refetchInterval = usePoll();
  return useQuery({
    queryKey: queryKeys.sagas(filters),
    queryFn: ({ signal }) => {
      // The collector filters by start time (`from`, ms since epoch); the key holds the range, not the instant.
      const from =
        filters.fromMs ?? (filters.rangeSeconds ? Math.floor(Date.now() - filters.rangeSeconds * 1000) : undefined);
      const to = filters.toMs;
      return apiGet<SagaPage>(
        `/api/sagas${qs({ status: filters.status, type: filters.type, q: filters.q, group: filters.group, from, to, limit: filters.limit })}`,
        signal,
      );
    },
    refetchInterval,
    placeholderData: (previous) => previous,
  });
}

export function useSaga(correlationId: string) {
  const refetchInterval = usePoll();
  return useQuery({
    queryKey: queryKeys.saga(correlationId),
    queryFn: ({ signal }) => apiGet<SagaView>(`/api/sagas/${enc(correlationId)}`, signal),
    refetchInterval,
  });
}

export function useEventLookup(eventId: string) {
  const refetchInterval = usePoll();
  return useQuery({
    queryKey: queryKeys.event(eventId),
    queryFn: ({ signal }) => apiGet<EventView>(`/api/events/${enc(eventId)}`, signal),
    refetchInterval,
  });
}

export function useTrace(traceId: string) {
  return useQuery({
    queryKey: queryKeys.trace(traceId),
    queryFn: ({ signal }) => apiGet<TraceView>(`/api/traces/${enc(traceId)}`, signal),
  });
}

export function useSearch(q: string) {
  return useQuery({
    queryKey: queryKeys.search(q),
    queryFn: ({ signal }) => apiGet<SearchResponse>(`/api/search${qs({ q })}`, signal),
    enabled: q.trim() !== '',
  });
}

export function useAudit() {
  const refetchInterval = usePoll();
  return useQuery({
    queryKey: queryKeys.audit(),
    queryFn: ({ signal }) => apiGet<AuditResponse>('/api/audit', signal),
    refetchInterval,
  });
}

/** The audit log of state changes, newest first; `before` pages to older rows. */
export function useAuditLog(before: number | undefined) {
  const refetchInterval = usePoll();
  return useQuery({
    queryKey: queryKeys.auditLog(before),
    queryFn: ({ signal }) => apiGet<AuditLogResponse>(`/api/audit-log${qs({ before })}`, signal),
    refetchInterval,
  });
}

export function useFlowMap(rangeSeconds: number) {
  const refetchInterval = usePoll();
  return useQuery({
    queryKey: queryKeys.flows(rangeSeconds),
    queryFn: ({ signal }) => apiGet<FlowMapResponse>(`/api/flows${qs({ rangeSeconds })}`, signal),
    refetchInterval,
  });
}

/** DLQ records grouped by cause (error class + message fingerprint): one DLQ, or every DLQ of the cluster when `topic` is null. */
export function useDlqCauses(topic: string | null) {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.dlqCauses(cluster, topic),
    queryFn: ({ signal }) =>
      apiGet<DlqCausesResponse>(
        `${topic === null ? '/api/dlq-causes' : `/api/dlqs/${enc(topic)}/causes`}${qs({ cluster })}`,
        signal,
      ),
    refetchInterval,
  });
}

/** The redrives of the cluster picked, newest first. */
export function useRedrives() {
  const refetchInterval = usePoll();
  const cluster = useClusterParam();
  return useQuery({
    queryKey: queryKeys.redrives(cluster),
    queryFn: ({ signal }) => apiGet<RedrivesResponse>(`/api/redrives${qs({ cluster })}`, signal),
    refetchInterval,
  });
}

/**
 * One redrive. While it runs, its progress comes over SSE (redrive-events.ts writes it into this
 * query); `pollMs` is the fallback when the event stream is not there.
 */
export function useRedrive(id: string, pollMs: number | false = false) {
  return useQuery({
    queryKey: queryKeys.redrive(id),
    queryFn: ({ signal }) => apiGet<RedriveResponse>(`/api/redrives/${enc(id)}`, signal),
    refetchInterval: (q) => (q.state.data?.redrive.status === 'running' ? pollMs : false),
  });
}

/** The count and a sample of what a redrive request would select; nothing is produced. */
export function useRedriveDryRun(topic: string) {
  const cluster = useClusterParam();
  return useMutation({
    mutationFn: (request: Omit<RedriveRequest, 'dryRun'>) =>
      apiPost<RedriveDryRunResponse>(`/api/dlqs/${enc(topic)}/redrives${qs({ cluster })}`, {
        ...request,
        dryRun: true,
      }),
  });
}

/** Starts a redrive; the list, the DLQ (redriven marks) and the audit log change. */
export function useStartRedrive(topic: string) {
  const client = useQueryClient();
  const cluster = useClusterParam();
  return useMutation({
    mutationFn: (request: Omit<RedriveRequest, 'dryRun'>) =>
      apiPost<RedriveResponse>(`/api/dlqs/${enc(topic)}/redrives${qs({ cluster })}`, { ...request, dryRun: false }),
    onSuccess: ({ redrive }) => {
      client.setQueryData(queryKeys.redrive(redrive.id), { redrive });
      return invalidateRedrives(client, redrive);
    },
  });
}

export function useCancelRedrive(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => apiPost<RedriveResponse>(`/api/redrives/${enc(id)}/cancel`),
    onSuccess: ({ redrive }) => {
      client.setQueryData(queryKeys.redrive(redrive.id), { redrive });
      return invalidateRedrives(client, redrive);
    },
  });
}

/**
 * What a redrive's start or end changes besides itself: the redrive lists and the DLQ's records
 * (their redrive marks) of every cluster key, as the picked cluster may be '' (the primary) or its name.
 */
export function invalidateRedrives(client: ReturnType<typeof useQueryClient>, redrive: Redrive): Promise<unknown> {
  return Promise.all([
    client.invalidateQueries({ queryKey: ['redrives', 'list'] }),
    client.invalidateQueries({
      predicate: (q) => q.queryKey[0] === 'dlqs' && q.queryKey[2] === redrive.dlqTopic,
    }),
    client.invalidateQueries({ queryKey: ['audit-log'] }),
  ]);
}
