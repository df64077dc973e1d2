/**
 * Fixture data typed by the API types, so a change in types.ts breaks the tests that depend on it.
 *
 * Over 600 lines on purpose: the fixtures are one small world (the groups, their DLQ, one saga and
 * its events) whose answers refer to each other, as the collector's do: the overview's worst groups
 * and DLQs are GROUPS and DLQ, the DLQ detail's records and causes are that DLQ's. Split by page,
 * the cross-references the tests rely on would be hidden across files.
 */
import {
  type ClustersResponse,
  type DeliveryView,
  type DlqCausesResponse,
  type DlqDetailResponse,
  type DlqHistoryResponse,
  type DlqRecord,
  type DlqSummary,
  type EventView,
  type FlowMapResponse,
  type GroupDetailResponse,
  type GroupSummary,
  type GroupTopic,
  type HopView,
  type KafkaClusterSummary,
  type OverviewResponse,
  type PublishView,
  type Rebalance,
  type Redrive,
  type SagaPage,
  type SagaView,
} from '../api/types.ts';

/**
 * When the fixtures were made: the unit tests share one module graph (vitest `isolate: false`),
 * so this is the first test file's start, minutes before a later one renders. A test that reads
 * a time relative to the page's clock ("30 s ago") sets that time from Date.now() itself.
 */
export const NOW = Date.now();

/** The last rebalance of the inventory group: in the group list, and first in its detail. */
const INVENTORY_REBALANCE: Rebalance = {
  startedAt: NOW - 120_000,
  endedAt: NOW - 116_800,
  durationMs: 3200,
  detectedBy: 'members',
  membersBefore: 2,
  membersAfter: 1,
};
const T0 = NOW - 60_000;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function topic(name: string, over: Partial<GroupTopic> = {}): GroupTopic {
  return {
    topic: name,
    partitions: 3,
    lag: 0,
    lagSeconds: 0,
    lagSecondsIsLowerBound: false,
    consumeRate: 10,
    produceRate: 10,
    timeToCatchUpSeconds: 0,
    status: 'OK',
    recordsLostToRetention: 0,
    retentionMarginMessages: null,
    retentionRisk: 'none',
    ...over,
  };
}

/** A Kafka cluster of GET /api/clusters: connected, polled 2 s ago. */
export function kafkaCluster(over: Partial<KafkaClusterSummary> & { name: string }): KafkaClusterSummary {
  return {
    brokers: [`${over.name}-kafka:9092`],
    primary: false,
    connected: true,
    leading: true,
    groups: 3,
    polledAt: new Date(NOW - 2000).toISOString(),
    ...over,
  };
}

/** main (the primary), east, and dr which is not connected. */
export const CLUSTERS: ClustersResponse = {
  clusters: [
    kafkaCluster({ name: 'main', primary: true }),
    kafkaCluster({ name: 'east' }),
    {
      name: 'dr',
      brokers: ['dr-kafka:9092'],
      primary: false,
      connected: false,
      problem: 'connect ECONNREFUSED 10.9.0.1:9092',
      leading: true,
      groups: 0,
    },
  ],
};

export function group(over: Partial<GroupSummary> & { group: string }): GroupSummary {
  return {
    cluster: 'main',
    groupType: 'classic',
    state: 'Stable',
    recordsLostToRetention: 0,
    retentionRisk: 'none',
    status: 'OK',
    error: null,
    memberCount: 2,
    lag: 0,
    lagSeconds: 0,
    lagSecondsIsLowerBound: false,
    consumeRate: 120,
    timeToCatchUpSeconds: 0,
    topics: [topic('orders')],
    rebalanceCount: 1,
    lastRebalance: {
      startedAt: NOW - 3_600_000,
      endedAt: NOW - 3_597_000,
      durationMs: 3000,
      detectedBy: 'state',
      membersBefore: 1,
      membersAfter: 2,
    },
    updatedAt: NOW,
    ...over,
  };
}

export const GROUPS: GroupSummary[] = [
  group({ group: 'payments', status: 'OK', lag: 3, lagSeconds: 0.2, consumeRate: 1500, topics: [topic('payments')] }),
  group({
    group: 'inventory',
    status: 'WARN',
    lag: 12_400,
    lagSeconds: 95,
    consumeRate: 80,
    timeToCatchUpSeconds: 155,
    topics: [topic('orders', { lag: 12_000 }), topic('payments', { lag: 400 })],
    lastRebalance: INVENTORY_REBALANCE,
  }),
  group({
    group: 'shipping',
    status: 'STOP',
    state: 'Empty',
    memberCount: 0,
    lag: 560,
    lagSeconds: 4000,
    lagSecondsIsLowerBound: true,
    consumeRate: 0,
    timeToCatchUpSeconds: null,
    rebalanceCount: 0,
    lastRebalance: null,
    topics: [topic('shipments', { status: 'STOP' })],
  }),
];

export const DLQ: DlqSummary = {
  topic: 'payments.dlq',
  partitions: 1,
  depth: 42,
  endOffsetSum: 42,
  addedLastInterval: 2,
  addedTotal: 12,
  growthPerSecond: 0.1,
  mark: null,
  addedSinceMark: null,
  lastGrowthAt: NOW - 30_000,
  groups: ['payments'],
  errorClasses: { TransientError: 12, DecodeError: 30 },
  updatedAt: NOW,
};

export const DLQ_HISTORY: DlqHistoryResponse = {
  cluster: 'main',
  topic: 'payments.dlq',
  snapshotTime: NOW,
  capacity: 720,
  samples: [
    { time: NOW - 10_000, depth: 37, endOffsetSum: 37, added: null },
    { time: NOW - 5000, depth: 40, endOffsetSum: 40, added: 3 },
    { time: NOW, depth: 42, endOffsetSum: 42, added: 2 },
  ],
};

export const OVERVIEW: OverviewResponse = {
  cluster: 'main',
  snapshotTime: NOW - 3000,
  rangeSeconds: 3600,
  throughput: [
    { time: T0, recordsPerSecond: 900 },
    { time: NOW, recordsPerSecond: 1234 },
  ],
  latency: [
    { time: T0, p50Ms: 40, p95Ms: 120, p99Ms: 300 },
    { time: NOW, p50Ms: 42, p95Ms: 130, p99Ms: 2500 },
  ],
  sagaOutcomes: { in_flight: 7, completed: 1200, compensated: 30, failed: 4, stuck: 1 },
  worstGroups: [GROUPS[2]!, GROUPS[1]!, GROUPS[0]!],
  dlqs: [DLQ],
  duplicates: 3,
  unaccounted: 0,
  setup: { hopsStored: 5400, lastSpanAt: NOW - 2000, otlpHttpPort: 4318, otlpGrpcPort: 4317, dlqPattern: '*.dlq' },
};

export const GROUP_DETAIL: GroupDetailResponse = {
  cluster: 'main',
  snapshotTime: NOW,
  group: {
    ...GROUPS[1]!,
    protocolType: 'consumer',
    protocol: 'RoundRobinAssigner',
    groupEpoch: null,
    assignmentEpoch: null,
    partitions: [
      {
        topic: 'orders',
        partition: 0,
        committedOffset: 1000,
        endOffset: 13_000,
        startOffset: 0,
        lag: 12_000,
        lagSeconds: 95,
        lagSecondsSource: 'record',
        lagSecondsIsLowerBound: false,
        status: 'WARN',
        owner: { memberId: 'inventory-1-abc', clientId: 'inventory-1', host: '/127.0.0.1' },
        consumeRate: 80,
        samples: [
          { time: NOW - 10_000, offset: 900, lag: 11_000 },
          { time: NOW, offset: 1000, lag: 12_000 },
        ],
      },
      {
        topic: 'orders',
        partition: 1,
        committedOffset: 0,
        endOffset: 400,
        startOffset: 0,
        lag: 400,
        lagSeconds: null,
        lagSecondsSource: 'unknown',
        lagSecondsIsLowerBound: false,
        status: 'OK',
        owner: null,
        consumeRate: null,
        samples: [{ time: NOW - 10_000, offset: 0, lag: 390 }],
      },
    ],
    members: [
      {
        memberId: 'inventory-1-abc',
        clientId: 'inventory-1',
        host: '/127.0.0.1',
        assignment: [{ topic: 'orders', partitions: [0, 1] }],
        memberEpoch: null,
        targetAssignment: null,
        processId: null,
        standbyAssignment: null,
        warmupAssignment: null,
      },
    ],
    history: {
      total: [
        { time: T0, lag: 9300, lagSeconds: 60 },
        { time: NOW, lag: 12_400, lagSeconds: 95 },
      ],
      topics: {
        orders: [
          { time: T0, lag: 9000, lagSeconds: 60 },
          { time: NOW, lag: 12_000, lagSeconds: 95 },
        ],
        payments: [
          { time: T0, lag: 300, lagSeconds: null },
          { time: NOW, lag: 400, lagSeconds: null },
        ],
      },
    },
    rebalances: [
      INVENTORY_REBALANCE,
      {
        startedAt: NOW - 600_000,
        endedAt: null,
        durationMs: null,
        detectedBy: 'state',
        membersBefore: 2,
        membersAfter: null,
      },
    ],
    statusWindow: 10,
    lagTolerance: 5,
    lagBudgetSeconds: 10,
  },
};

export function dlqRecord(over: Partial<DlqRecord> & Pick<DlqRecord, 'offset'>): DlqRecord {
  return {
    partition: 0,
    timestamp: NOW - 10_000,
    key: 'order-17',
    headers: {},
    originalTopic: 'orders',
    originalPartition: 0,
    originalOffset: 0,
    consumerGroup: 'payments',
    errorClass: null,
    errorMessage: null,
    attempts: 1,
    firstFailureTime: null,
    lastFailureTime: null,
    eventId: null,
    eventType: null,
    correlationId: null,
    headerErrors: [],
    value: { encoding: 'avro', schemaId: 3, data: null, decodeError: null, sizeBytes: 0, truncated: false },
    redrives: [],
    ...over,
  };
}

/** Two causes of payments.dlq, one with an error class named like an Object.prototype key. */
export const CAUSES: DlqCausesResponse = {
  cluster: 'main',
  causes: [
    {
      fingerprint: 'f1',
      errorClass: 'DecodeError',
      template: 'unknown magic byte <hex> at offset <n>',
      count: 30,
      firstSeenMs: NOW - 3_600_000,
      lastSeenMs: NOW - 60_000,
      dlqs: ['payments.dlq'],
      topics: ['orders'],
      groups: ['payments'],
      sample: { topic: 'payments.dlq', partition: 0, offset: '41', message: 'unknown magic byte 0x7b at offset 3' },
      trend: [0, 2, 5, 23],
      bucketMs: 60_000,
    },
    {
      fingerprint: 'f2',
      errorClass: 'constructor',
      template: 'timeout after <n> ms',
      count: 12,
      firstSeenMs: NOW - 1_800_000,
      lastSeenMs: NOW - 30_000,
      dlqs: ['payments.dlq'],
      topics: ['orders'],
      groups: ['payments'],
      sample: { topic: 'payments.dlq', partition: 0, offset: '40', message: 'timeout after 3000 ms' },
      trend: [12],
      bucketMs: 60_000,
    },
  ],
  untracked: 0,
};

/** A redrive of payments.dlq, running: 10 of 30 sent. */
export function redrive(over: Partial<Redrive> = {}): Redrive {
  return {
    id: 'rd-0001-aaaa-bbbb',
    cluster: 'main',
    dlqTopic: 'payments.dlq',
    status: 'running',
    createdBy: 'alice',
    createdAtMs: NOW - 5_000,
    finishedAtMs: null,
    select: { kind: 'filter', errorClass: 'DecodeError' },
    target: { kind: 'group-retry' },
    ratePerSecond: 50,
    selected: 30,
    sent: 10,
    failed: 0,
    error: null,
    outcome: { processed: 4, deadLetteredAgain: 1, pending: 5 },
    ...over,
  };
}

export const DLQ_DETAIL: DlqDetailResponse = {
  cluster: 'main',
  snapshotTime: NOW,
  dlq: {
    ...DLQ,
    latest: [
      dlqRecord({
        offset: 41,
        headers: {
          'event-id': '0193a1b2-0000-7000-8000-0000000000aa',
          'event-type': 'payment.requested',
          'dlq-error-class': 'DecodeError',
          'dlq-error-message': 'unknown magic byte 0x7b',
          'dlq-original-topic': 'orders',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          'x-tenant': 'acme',
        },
        value: {
          encoding: 'avro',
          schemaId: 3,
          data: { orderId: 'order-17', amountCents: 1999 },
          decodeError: null,
          sizeBytes: 24,
          truncated: false,
        },
        eventId: '0193a1b2-0000-7000-8000-0000000000aa',
        eventType: 'payment.requested',
        correlationId: 'order-17',
        errorClass: 'DecodeError',
        errorMessage: 'unknown magic byte 0x7b',
        originalPartition: 2,
        originalOffset: 1234,
        attempts: 3,
        firstFailureTime: '2026-11-27T08:00:00.000Z',
        lastFailureTime: '2026-11-27T08:00:02.000Z',
      }),
      dlqRecord({
        offset: 40,
        timestamp: NOW - 20_000,
        key: 'order-9',
        value: {
          encoding: 'base64',
          schemaId: null,
          data: 'AAAAAGM=',
          decodeError: 'schema 99 not found in the registry',
          sizeBytes: 614_400,
          truncated: true,
        },
        headers: { 'dlq-error-class': 'TransientError', 'dlq-attempts': '1.5' },
        headerErrors: ["dlq-attempts '1.5' is not a non-negative integer"],
        errorClass: 'TransientError',
        errorMessage: 'timeout',
        originalOffset: 77,
        attempts: 5,
      }),
    ],
  },
};

function delivery(
  over: Partial<DeliveryView> & Pick<DeliveryView, 'group' | 'service' | 'startMs' | 'endMs'>,
): DeliveryView {
  return {
    topic: 'orders',
    partition: 0,
    offset: 10,
    outcome: 'processed',
    attempt: 1,
    queueTimeMs: null,
    processingTimeMs: over.endMs - over.startMs,
    dlqTopic: null,
    traceId: TRACE,
    spanId: `span-${over.group}-${over.attempt ?? 1}`,
    ...over,
  };
}

export const HOPS: HopView[] = [
  {
    eventId: 'e1',
    eventType: 'order.placed',
    causationId: null,
    topic: 'orders',
    partition: 0,
    offset: 10,
    publishedMs: T0,
    service: 'orders',
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    compensation: false,
    deliveries: [
      delivery({ group: 'payments', service: 'payments', startMs: T0 + 30, endMs: T0 + 80, queueTimeMs: 30 }),
    ],
    pending: [],
  },
  {
    eventId: 'e2',
    eventType: 'payment.declined',
    causationId: 'e1',
    topic: 'payments',
    partition: 1,
    offset: 5,
    publishedMs: T0 + 85,
    service: 'payments',
    traceId: TRACE,
    spanId: '00f067aa0ba902b8',
    compensation: false,
    deliveries: [
      delivery({
        group: 'orders-saga',
        service: 'orders',
        topic: 'payments',
        startMs: T0 + 100,
        endMs: T0 + 150,
        queueTimeMs: 15,
        outcome: 'retried',
        attempt: 1,
      }),
      delivery({
        group: 'orders-saga',
        service: 'orders',
        topic: 'payments',
        startMs: T0 + 200,
        endMs: T0 + 250,
        queueTimeMs: 115,
        outcome: 'retried',
        attempt: 2,
      }),
      delivery({
        group: 'orders-saga',
        service: 'orders',
        topic: 'payments',
        startMs: T0 + 300,
        endMs: T0 + 400,
        queueTimeMs: 215,
        outcome: 'dead_lettered',
        attempt: 3,
        dlqTopic: 'orders-saga.dlq',
        traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      }),
    ],
    pending: [],
  },
  {
    eventId: 'e3',
    eventType: 'inventory.release',
    causationId: 'e2',
    topic: 'inventory',
    partition: 2,
    offset: 99,
    publishedMs: T0 + 410,
    service: 'orders',
    traceId: TRACE,
    spanId: '00f067aa0ba902b9',
    compensation: true,
    deliveries: [],
    pending: [
      {
        cluster: 'main',
        group: 'inventory',
        topic: 'inventory',
        partition: 2,
        committedOffset: 0,
        position: 1200,
        estimatedWaitSeconds: 15,
      },
    ],
  },
];

/** order-17 as the saga list shows it; SAGA is its full view. */
const SAGA_ITEM: SagaPage['items'][number] = {
  correlationId: 'order-17',
  sagaType: 'order',
  status: 'in_flight',
  startMs: T0,
  lastActivityMs: T0 + 410,
  endToEndMs: null,
  terminalEventType: null,
  hops: 3,
  compensations: 1,
  dlqSteps: 1,
};

export const SAGA: SagaView = {
  ...SAGA_ITEM,
  hops: HOPS,
  hopCount: 3,
  compensations: [{ eventId: 'e3', eventType: 'inventory.release', timeMs: T0 + 410, service: 'orders' }],
  dlqSteps: [
    {
      eventId: 'e2',
      eventType: 'payment.declined',
      group: 'orders-saga',
      topic: 'payments',
      dlqTopic: 'orders-saga.dlq',
      timeMs: T0 + 400,
    },
  ],
  pendingCount: 1,
};

export const SAGAS: SagaPage = {
  nextCursor: null,
  items: [
    SAGA_ITEM,
    {
      correlationId: 'order-1',
      sagaType: 'order',
      status: 'completed',
      startMs: T0 - 5000,
      lastActivityMs: T0 - 3200,
      endToEndMs: 1800,
      terminalEventType: 'order.completed',
      hops: 6,
      compensations: 0,
      dlqSteps: 0,
    },
    {
      correlationId: 'order-2',
      sagaType: 'order',
      status: 'compensated',
      startMs: T0 - 9000,
      lastActivityMs: T0 + 81_000,
      endToEndMs: 90_000,
      terminalEventType: 'order.failed',
      hops: 9,
      compensations: 2,
      dlqSteps: 0,
    },
  ],
};

const PUBLISH: PublishView = {
  eventId: 'e1',
  eventType: 'order.placed',
  correlationId: 'order-17',
  causationId: null,
  topic: 'orders',
  partition: 0,
  offset: 10,
  timeMs: T0,
  endMs: T0 + 3,
  service: 'orders',
  traceId: TRACE,
  spanId: '00f067aa0ba902b7',
};

export const EVENT: EventView = {
  eventId: 'e1',
  eventType: 'order.placed',
  correlationId: 'order-17',
  causationId: null,
  record: { topic: 'orders', partition: 0, offset: 10 },
  publish: PUBLISH,
  republishes: [],
  groups: [
    {
      cluster: 'main',
      group: 'analytics',
      topic: 'orders',
      state: 'pending',
      processedCount: 0,
      duplicate: false,
      deliveries: [],
      pending: {
        cluster: 'main',
        group: 'analytics',
        topic: 'orders',
        partition: 0,
        committedOffset: 4,
        position: 6,
        estimatedWaitSeconds: 2.5,
      },
    },
    {
      cluster: 'main',
      group: 'payments',
      topic: 'orders',
      state: 'processed',
      processedCount: 2,
      duplicate: true,
      deliveries: [
        delivery({ group: 'payments', service: 'payments', startMs: T0 + 30, endMs: T0 + 80, queueTimeMs: 30 }),
        delivery({ group: 'payments', service: 'payments', startMs: T0 + 900, endMs: T0 + 950, queueTimeMs: 900 }),
      ],
      pending: null,
    },
    {
      cluster: 'main',
      group: 'audit',
      topic: 'orders',
      state: 'passed_without_delivery',
      processedCount: 0,
      duplicate: false,
      deliveries: [],
      pending: null,
    },
  ],
  deadLettered: false,
  duplicate: true,
  offsetsSnapshotMs: NOW - 2000,
};

export const FLOWS: FlowMapResponse = {
  rangeSeconds: 3600,
  nodes: [
    { id: 'service:orders', kind: 'service', name: 'orders' },
    { id: 'topic:orders', kind: 'topic', name: 'orders' },
    { id: 'service:payments', kind: 'service', name: 'payments' },
  ],
  edges: [
    {
      from: 'service:orders',
      to: 'topic:orders',
      group: null,
      cluster: null,
      ratePerSecond: 1200,
      p50Ms: 2,
      p95Ms: 8,
      errorsPerSecond: null,
    },
    {
      from: 'topic:orders',
      to: 'service:payments',
      group: 'payments',
      cluster: 'main',
      ratePerSecond: 1190,
      p50Ms: 30,
      p95Ms: 250,
      errorsPerSecond: 0.5,
    },
  ],
};
