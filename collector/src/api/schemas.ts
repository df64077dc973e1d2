/**
 * API schemas of the overview (`GET /api/overview`); TypeBox, from which the route's types,
 * the OpenAPI document and the dashboard's types derive.
 */
import { Type, type Static } from 'typebox';
import { DlqSummarySchema } from '../dlq/schemas.ts';
import { ClusterQuerySchema, GroupSummarySchema } from '../lag/schemas.ts';
import type { SagaStatus } from '../store/types.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const SAGA_STATUSES = ['in_flight', 'completed', 'compensated', 'failed', 'stuck'] as const;

export const OverviewQuerySchema = Type.Object({
  // Series are kept 6 h; saga outcomes are counted from the store over the whole range (up to the dashboard's 24 h).
  rangeSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 24 * 3600, default: 900 })),
  ...ClusterQuerySchema.properties,
});

/**
 * What the first page says whatever the range: whether spans ever arrived (the store's facts, so
 * a quiet hour does not read as "not connected"), where to send them and which topics are DLQs,
 * as this collector is configured.
 */
export const OverviewSetupSchema = Type.Object({
  hopsStored: Type.Integer({ description: 'Publishes and deliveries (made from spans) in the store now' }),
  lastSpanAt: Nullable(
    Type.Number({ description: 'When the newest stored publish or delivery arrived (ms since the epoch)' }),
  ),
  otlpHttpPort: Nullable(
    Type.Integer({ description: 'Configured OTLP/HTTP port (`otlpPort`); null: a free port picked at start' }),
  ),
  otlpGrpcPort: Nullable(Type.Integer({ description: 'Configured OTLP/gRPC port (`otlpGrpcPort`); null: off' })),
  dlqPattern: Type.String({ description: 'Glob of the topics watched as DLQs (`dlqPattern`)' }),
});
export type OverviewSetup = Static<typeof OverviewSetupSchema>;

export const OverviewSchema = Type.Object({
  cluster: Type.String({
    description: 'The Kafka cluster of the throughput, worst groups and DLQs',
  }),
  snapshotTime: Nullable(Type.Number()),
  rangeSeconds: Type.Integer(),
  throughput: Type.Array(Type.Object({ time: Type.Number(), recordsPerSecond: Type.Number() })),
  latency: Type.Array(
    Type.Object({
      time: Type.Number(),
      p50Ms: Nullable(Type.Number()),
      p95Ms: Nullable(Type.Number()),
      p99Ms: Nullable(Type.Number()),
    }),
  ),
  sagaOutcomes: Type.Object(
    Object.fromEntries(SAGA_STATUSES.map((s) => [s, Type.Integer()])) as Record<
      SagaStatus,
      ReturnType<typeof Type.Integer>
    >,
  ),
  worstGroups: Type.Array(GroupSummarySchema),
  dlqs: Type.Array(DlqSummarySchema),
  duplicates: Type.Integer(),
  unaccounted: Type.Integer(),
  setup: OverviewSetupSchema,
});
export type Overview = Static<typeof OverviewSchema>;

/** `event: snapshot` of GET /api/stream: a Kafka poll finished (lag, groups, DLQs updated). */
export const SnapshotEventSchema = Type.Object({
  at: Type.Number(),
  cluster: Type.String({ description: 'The Kafka cluster polled' }),
});
/** `event: saga` of GET /api/stream: a saga changed (new hop or new status). */
export const SagaEventSchema = Type.Object({ correlationId: Type.String(), status: Type.String() });
