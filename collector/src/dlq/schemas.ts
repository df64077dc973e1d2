/** API schemas of the DLQ routes (TypeBox). Times are ms since the Unix epoch unless named ...Time (ISO 8601, as in the headers). */
import { Type, type Static, type TSchema } from 'typebox';
import { ClusterQuerySchema } from '../lag/schemas.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const DlqMarkSchema = Type.Object({
  at: Type.Number(),
  endOffsets: Type.Record(Type.String(), Type.Integer()),
});

export const DlqSummarySchema = Type.Object({
  topic: Type.String(),
  partitions: Type.Integer(),
  depth: Type.Integer({ description: 'Records retained (end - start offsets).' }),
  endOffsetSum: Type.Integer(),
  addedLastInterval: Nullable(Type.Integer()),
  addedTotal: Type.Integer({ description: 'Records added since the collector started watching.' }),
  growthPerSecond: Nullable(Type.Number()),
  mark: Nullable(DlqMarkSchema),
  addedSinceMark: Nullable(Type.Integer()),
  lastGrowthAt: Nullable(Type.Number()),
  groups: Type.Array(Type.String()),
  errorClasses: Type.Record(Type.String(), Type.Integer()),
  updatedAt: Type.Number(),
});

/** A redrive that sent this record (issue #18): the DLQ record list marks redriven records with these. */
export const DlqRedriveMarkSchema = Type.Object({ id: Type.String(), atMs: Type.Number() });

export const DlqRecordSchema = Type.Object({
  partition: Type.Integer(),
  offset: Type.Integer(),
  timestamp: Type.Number(),
  key: Nullable(Type.String()),
  headers: Type.Record(Type.String(), Type.String()),
  originalTopic: Nullable(Type.String()),
  originalPartition: Nullable(Type.Integer()),
  originalOffset: Nullable(Type.Integer()),
  consumerGroup: Nullable(Type.String()),
  errorClass: Nullable(Type.String()),
  errorMessage: Nullable(Type.String()),
  attempts: Nullable(Type.Integer()),
  firstFailureTime: Nullable(Type.String()),
  lastFailureTime: Nullable(Type.String()),
  eventId: Nullable(Type.String()),
  eventType: Nullable(Type.String()),
  correlationId: Nullable(Type.String()),
  headerErrors: Type.Array(Type.String(), {
    description: 'dlq-* headers whose values break the contract (their field is null; the raw value is in headers)',
  }),
  value: Type.Object({
    encoding: Type.Union([
      Type.Literal('avro'),
      Type.Literal('json'),
      Type.Literal('utf8'),
      Type.Literal('base64'),
      Type.Literal('null'),
    ]),
    schemaId: Nullable(Type.Integer()),
    data: Type.Unknown(),
    decodeError: Nullable(Type.String()),
    sizeBytes: Type.Integer({ description: "The value's real size in bytes." }),
    truncated: Type.Boolean({ description: 'true: the value was too large to show whole; data holds its start' }),
  }),
  redrives: Type.Array(DlqRedriveMarkSchema, { description: 'Redrives that sent this record, oldest first.' }),
});

/** Every DLQ answer says its cluster: `?cluster=` of the request, else the primary (`kafkaClusterName`). */
export const DlqClusterSchema = Type.String({
  description: 'The Kafka cluster of the DLQ (`?cluster=`, default the primary cluster)',
});

export const DlqListSchema = Type.Object({
  cluster: DlqClusterSchema,
  snapshotTime: Nullable(Type.Number()),
  dlqs: Type.Array(DlqSummarySchema),
});

export const DlqDetailSchema = Type.Object({
  cluster: DlqClusterSchema,
  snapshotTime: Type.Number(),
  dlq: Type.Object({ ...DlqSummarySchema.properties, latest: Type.Array(DlqRecordSchema) }),
});

export const DlqMarkResponseSchema = Type.Object({
  cluster: DlqClusterSchema,
  topic: Type.String(),
  mark: DlqMarkSchema,
  addedSinceMark: Type.Integer(),
});

export const DlqSampleSchema = Type.Object({
  time: Type.Number({ description: 'When the poll ran.' }),
  depth: Type.Integer({ description: 'Records retained at that poll.' }),
  endOffsetSum: Type.Integer(),
  added: Nullable(Type.Integer({ description: 'Records added since the previous sample (null for the first).' })),
});

export const DlqHistorySchema = Type.Object({
  cluster: DlqClusterSchema,
  topic: Type.String(),
  snapshotTime: Type.Number(),
  /** How many samples the collector keeps per DLQ (one per poll). */
  capacity: Type.Integer({ description: 'Samples kept per DLQ, one per poll; older ones are dropped.' }),
  samples: Type.Array(DlqSampleSchema, { description: 'Oldest first.' }),
});

export const DlqHistoryQuerySchema = Type.Object({
  since: Type.Optional(Type.Number({ minimum: 0, description: 'Only samples at or after this time (ms).' })),
  ...ClusterQuerySchema.properties,
});

/** Kafka topic names: 1-249 of [a-zA-Z0-9._-]. */
export const TopicParamsSchema = Type.Object({
  topic: Type.String({ pattern: '^[a-zA-Z0-9._-]{1,249}$' }),
});

export type DlqList = Static<typeof DlqListSchema>;
export type DlqDetail = Static<typeof DlqDetailSchema>;
export type DlqMarkResponse = Static<typeof DlqMarkResponseSchema>;
export type DlqHistory = Static<typeof DlqHistorySchema>;
export type DlqRedriveMark = Static<typeof DlqRedriveMarkSchema>;
