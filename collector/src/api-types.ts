/**
 * The collector's HTTP API as its clients see it: every request and response type derived
 * (`Static<>`) from the TypeBox schemas the routes validate with and the OpenAPI document is
 * generated from. The dashboard imports these types (`@eventscope/collector/api-types`, type
 * imports only, nothing reaches its bundle), so a schema change is a type error there at once.
 *
 * Conventions: times are milliseconds since the epoch (fractional allowed); durations say
 * their unit in the name; rates are per second; unknown values are `null`; errors are
 * `{ error: CODE, message, retryable? }` with a 4xx/5xx status.
 */
import type { Static } from 'typebox';
import type { OverviewSchema, SagaEventSchema, SnapshotEventSchema } from './api/schemas.ts';
import type {
  AuditLogEntrySchema,
  AuditLogSchema,
  LogoutSchema,
  MeSchema,
  MeUnauthorizedSchema,
  PrincipalSchema,
} from './auth/schemas.ts';
import type {
  DlqDetailSchema,
  DlqHistorySchema,
  DlqListSchema,
  DlqMarkResponseSchema,
  DlqMarkSchema,
  DlqRecordSchema,
  DlqRedriveMarkSchema,
  DlqSampleSchema,
  DlqSummarySchema,
} from './dlq/schemas.ts';
import type { DlqCauseSampleSchema, DlqCauseSchema, DlqCausesSchema, UnmaskQuerySchema } from './dlq/triage/schemas.ts';
import type {
  RedriveDryRunSchema,
  RedriveListSchema,
  RedriveOutcomeSchema,
  RedriveRequestSchema,
  RedriveResponseSchema,
  RedriveSchema,
  RedriveSelectSchema,
  RedriveStatusSchema,
  RedriveTargetSchema,
} from './dlq/redrive/schemas.ts';
import type {
  AuditView,
  FlowMapView,
  GroupState as GroupStateSchema,
  OutcomeSchema,
  SagaPageView,
  SagaStatusSchema,
  SearchView,
  TraceView,
} from './flows/schemas.ts';
import type {
  ClusterListSchema,
  ClusterSchema,
  ErrorSchema,
  GroupDetailSchema,
  GroupListSchema,
  GroupSummarySchema,
  GroupTopicSchema,
  LagPointSchema,
  MemberSchema,
  PartitionSchema,
  RebalanceSchema,
  SampleSchema,
  StatusSchema,
  TopicListSchema,
  TopicSchema,
} from './lag/schemas.ts';

/** The collector's JSON error body. */
export type ApiErrorBody = Static<typeof ErrorSchema>;

// Kafka monitor: GET /api/groups[?status=], GET /api/groups/:group, GET /api/topics
export type LagStatus = Static<typeof StatusSchema>;
export type Rebalance = Static<typeof RebalanceSchema>;
export type GroupTopic = Static<typeof GroupTopicSchema>;
export type GroupSummary = Static<typeof GroupSummarySchema>;
export type GroupsResponse = Static<typeof GroupListSchema>;
export type GroupMember = Static<typeof MemberSchema>;
export type OffsetSample = Static<typeof SampleSchema>;
export type PartitionLag = Static<typeof PartitionSchema>;
export type LagSecondsSource = PartitionLag['lagSecondsSource'];
export type LagPoint = Static<typeof LagPointSchema>;
export type GroupDetailResponse = Static<typeof GroupDetailSchema>;
export type GroupDetail = GroupDetailResponse['group'];
export type TopicSummary = Static<typeof TopicSchema>;
export type TopicsResponse = Static<typeof TopicListSchema>;
// Clusters: GET /api/clusters; every lag route and the overview take ?cluster=<name> (default: the primary)
export type KafkaClusterSummary = Static<typeof ClusterSchema>;
export type ClustersResponse = Static<typeof ClusterListSchema>;

// DLQs: GET /api/dlqs, /api/dlqs/:topic, /api/dlqs/:topic/history, POST /api/dlqs/:topic/mark
export type DlqMark = Static<typeof DlqMarkSchema>;
export type DlqSummary = Static<typeof DlqSummarySchema>;
export type DlqsResponse = Static<typeof DlqListSchema>;
export type DlqRecord = Static<typeof DlqRecordSchema>;
export type DlqDetailResponse = Static<typeof DlqDetailSchema>;
export type DlqSample = Static<typeof DlqSampleSchema>;
export type DlqHistoryResponse = Static<typeof DlqHistorySchema>;
export type DlqMarkResponse = Static<typeof DlqMarkResponseSchema>;
export type DlqRedriveMark = Static<typeof DlqRedriveMarkSchema>;

// DLQ redrive: POST /api/dlqs/:topic/redrives, GET /api/redrives[/:id], GET /api/redrives/:id/events
// (server-sent events `progress`, data = Redrive), POST /api/redrives/:id/cancel
export type RedriveSelect = Static<typeof RedriveSelectSchema>;
export type RedriveTarget = Static<typeof RedriveTargetSchema>;
export type RedriveRequest = Static<typeof RedriveRequestSchema>;
export type RedriveStatus = Static<typeof RedriveStatusSchema>;
export type RedriveOutcome = Static<typeof RedriveOutcomeSchema>;
export type Redrive = Static<typeof RedriveSchema>;
export type RedriveDryRunResponse = Static<typeof RedriveDryRunSchema>;
export type RedriveResponse = Static<typeof RedriveResponseSchema>;
export type RedrivesResponse = Static<typeof RedriveListSchema>;

// DLQ triage: GET /api/dlqs/:topic/causes, GET /api/dlq-causes; masked payload views take ?unmask=true (operator)
export type DlqCause = Static<typeof DlqCauseSchema>;
export type DlqCauseSample = Static<typeof DlqCauseSampleSchema>;
export type DlqCausesResponse = Static<typeof DlqCausesSchema>;
export type UnmaskQuery = Static<typeof UnmaskQuerySchema>;

// Flows: GET /api/events/:eventId, /api/traces/:traceId, /api/sagas[/:correlationId], /api/search, /api/audit, /api/flows
export type DeliveryOutcome = Static<typeof OutcomeSchema>;
export type SagaStatus = Static<typeof SagaStatusSchema>;
export type {
  DeliveryView,
  EventView,
  GroupView,
  HopView,
  PendingView,
  PublishView,
  SagaListItem,
  SagaView,
} from './flows/schemas.ts';
export type GroupState = Static<typeof GroupStateSchema>;
export type SagaPage = Static<typeof SagaPageView>;
export type TraceView = Static<typeof TraceView>;
export type SearchResponse = Static<typeof SearchView>;
export type SearchMatch = SearchResponse['matches'][number];
export type SearchKind = SearchMatch['kind'];
export type AuditResponse = Static<typeof AuditView>;
export type FlowMapResponse = Static<typeof FlowMapView>;
export type FlowNode = FlowMapResponse['nodes'][number];
export type FlowEdge = FlowMapResponse['edges'][number];

// Overview: GET /api/overview
export type OverviewResponse = Static<typeof OverviewSchema>;
export type ThroughputPoint = OverviewResponse['throughput'][number];
export type LatencyPoint = OverviewResponse['latency'][number];

// Live updates: GET /api/stream (server-sent events `snapshot` and `saga`)
export type SnapshotEvent = Static<typeof SnapshotEventSchema>;
export type SagaEvent = Static<typeof SagaEventSchema>;

// Sign-in: GET /auth/me, POST /auth/logout; audit log: GET /api/audit-log
export type Principal = Static<typeof PrincipalSchema>;
export type Role = Principal['role'];
export type MeResponse = Static<typeof MeSchema>;
export type MeUnauthorized = Static<typeof MeUnauthorizedSchema>;
export type LogoutResponse = Static<typeof LogoutSchema>;
export type AuditLogEntry = Static<typeof AuditLogEntrySchema>;
export type AuditLogResponse = Static<typeof AuditLogSchema>;
