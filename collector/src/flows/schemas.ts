/**
 * TypeBox schemas of the flows API: request validation, response serialization, the OpenAPI
 * document and the TypeScript types all come from here. Times are milliseconds since the
 * Unix epoch (fractional: microsecond precision); durations are milliseconds.
 */
import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const OutcomeSchema = Type.Union([
  Type.Literal('processed'),
  Type.Literal('duplicate'),
  Type.Literal('retried'),
  Type.Literal('dead_lettered'),
  Type.Literal('failed'),
]);

export const SagaStatusSchema = Type.Union([
  Type.Literal('in_flight'),
  Type.Literal('completed'),
  Type.Literal('compensated'),
  Type.Literal('failed'),
  Type.Literal('stuck'),
]);

export const PublishView = Type.Object({
  eventId: Nullable(Type.String()),
  eventType: Nullable(Type.String()),
  correlationId: Nullable(Type.String()),
  causationId: Nullable(Type.String()),
  topic: Type.String(),
  partition: Nullable(Type.Integer()),
  offset: Nullable(Type.Integer()),
  timeMs: Type.Number({ description: 'producer span start: the record was handed to the client' }),
  endMs: Type.Number({ description: 'producer span end: the send was acknowledged' }),
  service: Type.String(),
  traceId: Type.String(),
  spanId: Type.String(),
});
export type PublishView = Static<typeof PublishView>;

export const DeliveryView = Type.Object({
  group: Type.String(),
  service: Type.String(),
  topic: Type.String(),
  partition: Nullable(Type.Integer()),
  offset: Nullable(Type.Integer()),
  startMs: Type.Number(),
  endMs: Type.Number(),
  outcome: OutcomeSchema,
  attempt: Type.Integer(),
  queueTimeMs: Nullable(
    Type.Number({ description: 'delivery start - publish time; null when the publish is unknown' }),
  ),
  processingTimeMs: Type.Number(),
  dlqTopic: Nullable(Type.String()),
  traceId: Type.String(),
  spanId: Type.String(),
});
export type DeliveryView = Static<typeof DeliveryView>;

/** The Kafka cluster a group row or a pending position is about (config `kafkaClusterName` / `kafkaClusters`). */
const ClusterName = Type.String({
  description:
    'the Kafka cluster whose group this is and whose committed offsets the position comes from; deliveries (spans name no cluster) count on the first cluster, primary first, whose last snapshot has the group reading the topic, else the primary (docs/clusters.md)',
});

/**
 * The Kafka cluster of a group row of the audit and the flow map. The store keeps no cluster (spans
 * name none): it is worked out when the answer is made, by the rule above (flows/clusters.ts).
 */
const GroupCluster = Type.String({
  description:
    'the Kafka cluster of the group: the first, primary first, whose last snapshot has the group reading the topic, else the primary (docs/clusters.md); worked out when answering, so a group gone from every snapshot shows on the primary',
});

export const PendingView = Type.Object(
  {
    cluster: ClusterName,
    group: Type.String(),
    topic: Type.String(),
    partition: Type.Integer(),
    committedOffset: Nullable(Type.Integer()),
    position: Nullable(Type.Integer({ description: 'messages ahead of the event: event offset - committed offset' })),
    estimatedWaitSeconds: Nullable(Type.Number({ description: 'position / consumption rate; null when unknown' })),
  },
  { description: "from the committed offsets of the group's own Kafka cluster (`cluster`)" },
);
export type PendingView = Static<typeof PendingView>;

export const GroupState = Type.Union([
  Type.Literal('processed'),
  Type.Literal('dead_lettered'),
  Type.Literal('duplicate'),
  Type.Literal('retrying'),
  Type.Literal('failed'),
  Type.Literal('pending'),
  Type.Literal('passed_without_delivery'),
]);

export const GroupView = Type.Object({
  cluster: ClusterName,
  group: Type.String(),
  topic: Type.String(),
  state: GroupState,
  processedCount: Type.Integer(),
  duplicate: Type.Boolean({ description: 'processed more than once by this group' }),
  deliveries: Type.Array(DeliveryView),
  pending: Nullable(PendingView),
});
export type GroupView = Static<typeof GroupView>;

export const EventView = Type.Object({
  eventId: Type.String(),
  eventType: Nullable(Type.String()),
  correlationId: Nullable(Type.String()),
  causationId: Nullable(Type.String()),
  record: Nullable(
    Type.Object({
      topic: Type.String(),
      partition: Type.Integer(),
      offset: Nullable(Type.Integer()),
    }),
  ),
  publish: Nullable(PublishView),
  republishes: Type.Array(PublishView, { description: 'later publishes of the same event id (DLQ, retry topics)' }),
  groups: Type.Array(GroupView, {
    description:
      'groups with deliveries of the event, and every group any Kafka cluster has reading its topic; the same group name on two clusters is two rows',
  }),
  deadLettered: Type.Boolean(),
  duplicate: Type.Boolean(),
  offsetsSnapshotMs: Nullable(
    Type.Number({ description: 'when the oldest of the lag snapshots used for positions (one per cluster) was taken' }),
  ),
});
export type EventView = Static<typeof EventView>;

export const HopView = Type.Object({
  eventId: Nullable(Type.String()),
  eventType: Nullable(Type.String()),
  causationId: Nullable(Type.String()),
  topic: Type.String(),
  partition: Nullable(Type.Integer()),
  offset: Nullable(Type.Integer()),
  publishedMs: Nullable(Type.Number()),
  service: Nullable(Type.String()),
  traceId: Nullable(Type.String()),
  spanId: Nullable(Type.String()),
  compensation: Type.Boolean(),
  deliveries: Type.Array(DeliveryView),
  pending: Type.Array(PendingView),
});
export type HopView = Static<typeof HopView>;

export const SagaListItem = Type.Object({
  correlationId: Type.String(),
  sagaType: Nullable(Type.String()),
  status: SagaStatusSchema,
  startMs: Type.Number(),
  lastActivityMs: Type.Number(),
  endToEndMs: Nullable(Type.Number()),
  terminalEventType: Nullable(Type.String()),
  hops: Type.Integer(),
  compensations: Type.Integer(),
  dlqSteps: Type.Integer(),
});
export type SagaListItem = Static<typeof SagaListItem>;

export const SagaView = Type.Object({
  ...SagaListItem.properties,
  hops: Type.Array(HopView),
  hopCount: Type.Integer(),
  compensations: Type.Array(
    Type.Object({
      eventId: Nullable(Type.String()),
      eventType: Nullable(Type.String()),
      timeMs: Type.Number(),
      service: Type.String(),
    }),
  ),
  dlqSteps: Type.Array(
    Type.Object({
      eventId: Nullable(Type.String()),
      eventType: Nullable(Type.String()),
      group: Type.String(),
      topic: Type.String(),
      dlqTopic: Nullable(Type.String()),
      timeMs: Type.Number(),
    }),
  ),
  pendingCount: Type.Integer(),
});
export type SagaView = Static<typeof SagaView>;

export const SagaPageView = Type.Object({ items: Type.Array(SagaListItem), nextCursor: Nullable(Type.String()) });

export const TraceView = Type.Object({
  traceId: Type.String(),
  publishes: Type.Array(PublishView),
  deliveries: Type.Array(Type.Object({ ...DeliveryView.properties, eventId: Nullable(Type.String()) })),
  eventIds: Type.Array(Type.String(), { description: 'events this trace touches: look them up for full flows' }),
  correlationIds: Type.Array(Type.String()),
});

/** Kafka's rule for topic names. */
export const TOPIC_PATTERN = '^[A-Za-z0-9._-]{1,249}$';

export const RecordView = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.Integer(),
  timestampMs: Nullable(
    Type.Number({
      description: 'the record timestamp (tap, primary Kafka cluster only), or when a hop first named it',
    }),
  ),
  eventId: Nullable(
    Type.String({ description: 'from a hop that carried it, or the tap (primary Kafka cluster only)' }),
  ),
  correlationId: Nullable(Type.String()),
  event: Type.Union([EventView, Type.Null()], { description: 'the full event, when the record has an event id' }),
  deliveries: Type.Array(DeliveryView, { description: 'deliveries at this position, with or without an event id' }),
});
export type RecordView = Static<typeof RecordView>;

export const SearchView = Type.Object({
  query: Type.String(),
  matches: Type.Array(
    Type.Object({
      kind: Type.Union([Type.Literal('event'), Type.Literal('trace'), Type.Literal('saga')]),
      id: Type.String(),
      href: Type.String(),
    }),
  ),
});

export const FindingClassView = Type.Union(
  [Type.Literal('skipped'), Type.Literal('telemetry-missing'), Type.Literal('unknown')],
  {
    description:
      '`skipped`: evidence the group did not process the record (loss); `telemetry-missing`: evidence it was processed, its span was lost; `unknown`: no evidence either way (yet, while `decidedMs` is null)',
  },
);

const FindingView = Type.Object({
  cluster: GroupCluster,
  group: Type.String(),
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.Integer(),
  eventId: Nullable(Type.String()),
  correlationId: Nullable(Type.String()),
  detectedMs: Type.Number(),
  class: FindingClassView,
  reason: Type.Union(
    [
      Type.Literal('pending'),
      Type.Literal('late-span'),
      Type.Literal('caused-event'),
      Type.Literal('offset-reset'),
      Type.Literal('no-effect'),
      Type.Literal('no-evidence'),
      Type.Literal('group-ended'),
    ],
    { description: 'the evidence behind the class (docs/loss-audit.md)' },
  ),
  service: Nullable(Type.String({ description: "the group's service, from its other deliveries" })),
  decidedMs: Nullable(Type.Number({ description: 'when the class became final; null while open' })),
});

export const AuditView = Type.Object({
  duplicates: Type.Array(
    Type.Object({
      eventId: Type.String(),
      cluster: Type.String({
        description: "as a finding's `cluster`, for the topic of the group's latest delivery of the event",
      }),
      group: Type.String(),
      count: Type.Integer(),
      firstMs: Type.Number(),
      lastMs: Type.Number(),
    }),
  ),
  unaccounted: Type.Array(FindingView, {
    description:
      "records found skipped: loss (class `skipped` only), each group judged on its own Kafka cluster's offsets (docs/clusters.md)",
  }),
  findings: Type.Array(FindingView, {
    description: 'every finding (or those of the `class` asked for), newest first',
  }),
  counts: Type.Object({
    skipped: Type.Integer(),
    telemetryMissing: Type.Integer(),
    unknown: Type.Integer({ description: 'open findings and those closed without evidence' }),
    loss: Type.Array(
      Type.Object({ cluster: GroupCluster, group: Type.String(), topic: Type.String(), count: Type.Integer() }),
      { description: 'skipped records per cluster, group and topic' },
    ),
    telemetryGaps: Type.Array(
      Type.Object({
        cluster: GroupCluster,
        group: Type.String(),
        service: Nullable(Type.String()),
        count: Type.Integer(),
      }),
      { description: 'processed records whose spans were lost, per cluster, group and service' },
    ),
  }),
});

export const FlowMapView = Type.Object({
  rangeSeconds: Type.Integer(),
  nodes: Type.Array(
    Type.Object({
      id: Type.String({ description: '`service:<name>` or `topic:<name>`' }),
      kind: Type.Union([Type.Literal('service'), Type.Literal('topic')]),
      name: Type.String(),
    }),
  ),
  edges: Type.Array(
    Type.Object({
      from: Type.String(),
      to: Type.String(),
      group: Nullable(Type.String({ description: 'consumer group on topic -> service edges' })),
      cluster: Nullable(
        Type.String({
          description:
            "the group's Kafka cluster on topic -> service edges, as an audit finding's `cluster`; null on publish edges",
        }),
      ),
      ratePerSecond: Nullable(Type.Number()),
      p50Ms: Nullable(Type.Number({ description: 'publish edges: send duration; consume edges: queue time' })),
      p95Ms: Nullable(Type.Number()),
      errorsPerSecond: Nullable(Type.Number({ description: 'deliveries failed or dead-lettered per second' })),
    }),
  ),
});

export const ErrorView = Type.Object({ error: Type.String(), message: Type.String() });

/** The longest event or correlation id the API takes in a path or query. */
export const ID_MAX_LENGTH = 200;
/** Ids: event and correlation ids are opaque (UUIDs in the demo); trace ids are 32 hex digits. */
export const ID_PATTERN = `^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,${ID_MAX_LENGTH - 1}}$`;
/**
 * The router's longest path parameter (Fastify's maxParamLength, 100 by default, answered a 200-
 * character id with 414): the longest valid id with every character percent-encoded (`/`, `:`, `@`,
 * `+`, `=` take 3 each), so every id the API accepts or links to reaches its handler; a longer
 * parameter is a 400 (app.ts). Topic names (at most 249 characters, none encoded) fit too.
 */
export const MAX_PATH_PARAM_LENGTH = 3 * ID_MAX_LENGTH;
/**
 * The longest saga cursor: `<first start, µs>~<correlation id>`. Correlation ids come from span
 * attributes (any string), so nextCursor may carry one longer than ID_MAX_LENGTH.
 */
export const CURSOR_MAX_LENGTH = 4096;
export const TRACE_ID_PATTERN = '^[0-9a-fA-F]{32}$';
