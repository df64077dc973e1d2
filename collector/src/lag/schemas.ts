/**
 * API schemas of the Kafka monitor's routes (TypeBox; request and response types derive from
 * them, and so does the OpenAPI document). Times are milliseconds since the Unix epoch;
 * rates are per second; lag seconds are seconds.
 */
import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const StatusSchema = Type.Union(
  [
    Type.Literal('OK'),
    Type.Literal('WARN'),
    Type.Literal('REWIND'),
    Type.Literal('STALL'),
    Type.Literal('STOP'),
    Type.Literal('ERR'),
  ],
  {
    description:
      'Burrow-style status: OK; WARN (lag never decreasing); REWIND (offset went back); STALL (owned, not moving); STOP (nobody consuming); ERR (offsets unreadable).',
  },
);

export const ErrorSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
  retryable: Type.Optional(Type.Boolean()),
});

export const RebalanceSchema = Type.Object({
  startedAt: Type.Number(),
  endedAt: Nullable(Type.Number()),
  durationMs: Nullable(Type.Number()),
  detectedBy: Type.Union([Type.Literal('state'), Type.Literal('members')]),
  membersBefore: Type.Integer(),
  membersAfter: Nullable(Type.Integer()),
});

export const RetentionRiskSchema = Type.Union([Type.Literal('none'), Type.Literal('at-risk'), Type.Literal('lost')], {
  description:
    'Data-loss risk from retention: lost (a committed offset is below the log start: records deleted before the group read them), at-risk (a lagging partition committed within the oldest tenth of its retained log, which retention deletes next), none.',
});

export const GroupTopicSchema = Type.Object({
  topic: Type.String(),
  partitions: Type.Integer(),
  lag: Type.Integer(),
  lagSeconds: Nullable(Type.Number()),
  lagSecondsIsLowerBound: Type.Boolean(),
  consumeRate: Nullable(Type.Number()),
  produceRate: Nullable(Type.Number()),
  timeToCatchUpSeconds: Nullable(Type.Number()),
  status: StatusSchema,
  recordsLostToRetention: Type.Integer(),
  retentionMarginMessages: Nullable(Type.Integer()),
  retentionRisk: RetentionRiskSchema,
});

export const GroupTypeSchema = Type.Union(
  [Type.Literal('classic'), Type.Literal('consumer'), Type.Literal('share'), Type.Literal('streams')],
  {
    description:
      "The group's type as Kafka names it: classic (JoinGroup/SyncGroup protocol), consumer (KIP-848 consumer protocol), share (KIP-932 share group: lag counts from the share-partition start offset), streams (KIP-1071).",
  },
);

/** The cluster an answer is about (`kafkaClusterName` or a `kafkaClusters` entry's name). */
const ClusterNameSchema = Type.String({ description: 'The Kafka cluster, by its name in the config' });

export const ClusterQuerySchema = Type.Object({
  cluster: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Kafka cluster by name (GET /api/clusters); default: the primary cluster. Unknown: 404 CLUSTER_NOT_FOUND.',
    }),
  ),
});

export const GroupSummarySchema = Type.Object({
  cluster: ClusterNameSchema,
  group: Type.String(),
  groupType: GroupTypeSchema,
  state: Type.String(),
  status: StatusSchema,
  error: Nullable(Type.String()),
  memberCount: Type.Integer(),
  lag: Type.Integer(),
  lagSeconds: Nullable(Type.Number()),
  lagSecondsIsLowerBound: Type.Boolean(),
  consumeRate: Nullable(Type.Number()),
  timeToCatchUpSeconds: Nullable(Type.Number()),
  recordsLostToRetention: Type.Integer(),
  retentionRisk: RetentionRiskSchema,
  topics: Type.Array(GroupTopicSchema),
  rebalanceCount: Type.Integer(),
  lastRebalance: Nullable(RebalanceSchema),
  updatedAt: Type.Number(),
});

export const GroupListSchema = Type.Object({
  cluster: ClusterNameSchema,
  snapshotTime: Nullable(Type.Number()),
  groups: Type.Array(GroupSummarySchema),
  missingGroupTypes: Type.Array(Type.String(), {
    description:
      'Group types the broker has no API for (e.g. share groups before Kafka 4.1), each as a sentence; such groups are not listed. Empty on Kafka 4.1+.',
  }),
});

export const GroupListQuerySchema = Type.Object({
  status: Type.Optional(StatusSchema),
  ...ClusterQuerySchema.properties,
});

const TopicPartitionsSchema = Type.Object({ topic: Type.String(), partitions: Type.Array(Type.Integer()) });

export const MemberSchema = Type.Object({
  memberId: Type.String(),
  clientId: Type.String(),
  host: Type.String(),
  assignment: Type.Array(TopicPartitionsSchema),
  memberEpoch: Nullable(
    Type.Integer({ description: 'KIP-848 / KIP-932 / KIP-1071 members: the member epoch; null for classic groups.' }),
  ),
  targetAssignment: Nullable(
    Type.Array(TopicPartitionsSchema, {
      description:
        'KIP-848 and streams members: the assignment the coordinator wants the member to reach (differs from assignment while it reconciles); null otherwise.',
    }),
  ),
  processId: Nullable(
    Type.String({ description: 'Streams members (KIP-1071): the Kafka Streams instance the member belongs to.' }),
  ),
  standbyAssignment: Nullable(
    Type.Array(TopicPartitionsSchema, {
      description:
        "Streams members: the partitions of their standby tasks (a copy of the task's state for failover; they do not consume); assignment is their active tasks. Null for other group types.",
    }),
  ),
  warmupAssignment: Nullable(
    Type.Array(TopicPartitionsSchema, {
      description:
        'Streams members: the partitions of their warm-up tasks (state caught up before the task moves to them). Null for other group types.',
    }),
  ),
});

export const SampleSchema = Type.Object({ time: Type.Number(), offset: Type.Integer(), lag: Type.Integer() });

export const PartitionSchema = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  committedOffset: Type.Integer(),
  endOffset: Nullable(Type.Integer()),
  startOffset: Nullable(Type.Integer()),
  lag: Nullable(Type.Integer()),
  lagSeconds: Nullable(Type.Number()),
  lagSecondsSource: Type.Union([
    Type.Literal('record'),
    Type.Literal('interpolated'),
    Type.Literal('lower-bound'),
    Type.Literal('caught-up'),
    Type.Literal('unknown'),
  ]),
  lagSecondsIsLowerBound: Type.Boolean(),
  status: StatusSchema,
  owner: Nullable(Type.Object({ memberId: Type.String(), clientId: Type.String(), host: Type.String() })),
  consumeRate: Nullable(Type.Number()),
  samples: Type.Array(SampleSchema),
});

export const LagPointSchema = Type.Object({
  time: Type.Number(),
  lag: Type.Integer(),
  lagSeconds: Nullable(Type.Number()),
});

export const GroupDetailSchema = Type.Object({
  cluster: ClusterNameSchema,
  snapshotTime: Type.Number(),
  group: Type.Object({
    ...GroupSummarySchema.properties,
    protocolType: Type.String(),
    protocol: Type.String(),
    groupEpoch: Nullable(Type.Integer()),
    assignmentEpoch: Nullable(Type.Integer()),
    members: Type.Array(MemberSchema),
    partitions: Type.Array(PartitionSchema),
    history: Type.Object({
      total: Type.Array(LagPointSchema),
      topics: Type.Record(Type.String(), Type.Array(LagPointSchema)),
    }),
    rebalances: Type.Array(RebalanceSchema),
    statusWindow: Type.Integer(),
    lagTolerance: Type.Integer(),
    lagBudgetSeconds: Nullable(Type.Number()),
  }),
});

export const GroupParamsSchema = Type.Object({
  group: Type.String({ minLength: 1, maxLength: 255 }),
});

export const TopicSchema = Type.Object({
  cluster: ClusterNameSchema,
  topic: Type.String(),
  partitions: Type.Integer(),
  records: Type.Integer(),
  endOffsetSum: Type.Integer(),
  recordsInPerSecond: Nullable(Type.Number()),
  recordsInLastInterval: Nullable(Type.Integer()),
  isDlq: Type.Boolean(),
  consumerGroups: Type.Array(Type.String()),
  offsets: Type.Array(Type.Object({ partition: Type.Integer(), start: Type.Integer(), end: Type.Integer() })),
  error: Nullable(Type.String()),
});

export const TopicListSchema = Type.Object({
  cluster: ClusterNameSchema,
  snapshotTime: Nullable(Type.Number()),
  topics: Type.Array(TopicSchema),
});

export const ClusterSchema = Type.Object({
  name: ClusterNameSchema,
  brokers: Type.Array(Type.String(), { description: 'Bootstrap servers from the config' }),
  primary: Type.Boolean({
    description: 'The cluster of the `kafka*` keys: the default of `?cluster=`; DLQs, redrive and the tap use it',
  }),
  connected: Type.Boolean({ description: "Whether the collector's admin client is connected to the cluster" }),
  problem: Type.Optional(
    Type.String({ description: 'Why the cluster is not connected, or why its last poll failed; absent when fine' }),
  ),
  leading: Type.Boolean({
    description: 'Whether this collector polls the cluster (false: another collector of the monitor election does)',
  }),
  groups: Type.Integer({ description: 'Consumer groups in the last snapshot' }),
  polledAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'When the last snapshot was taken (ISO 8601); absent before the first',
    }),
  ),
});

export const ClusterListSchema = Type.Object({ clusters: Type.Array(ClusterSchema) });

export type GroupSummary = Static<typeof GroupSummarySchema>;
export type GroupList = Static<typeof GroupListSchema>;
export type GroupDetail = Static<typeof GroupDetailSchema>;
export type TopicList = Static<typeof TopicListSchema>;
export type ClusterList = Static<typeof ClusterListSchema>;
