/** Fixture data typed by the API types, so a change in types.ts breaks the tests that depend on it. */
import {
  type DlqDetail,
  type DlqSummary,
  type EventLookup,
  type FlowMapResponse,
  type GroupDetail,
  type GroupSummary,
  type Hop,
  type OverviewResponse,
  type SagaDetail,
  type SagasResponse,
} from '../api/types.ts';

export const NOW = Date.now();
const T0 = NOW - 60_000;

export function group(over: Partial<GroupSummary> & { group: string }): GroupSummary {
  return {
    state: 'Stable',
    status: 'OK',
    topics: ['orders'],
    members: 2,
    lagMessages: 0,
    lagSeconds: 0,
    lagSecondsLowerBound: false,
    consumeRate: 120,
    timeToCatchUpSeconds: 0,
    lastRebalanceAt: NOW - 3_600_000,
    ...over,
  };
}

export const GROUPS: GroupSummary[] = [
  group({ group: 'payments', status: 'OK', lagMessages: 3, lagSeconds: 0.2, consumeRate: 1500 }),
  group({
    group: 'inventory',
    status: 'WARN',
    lagMessages: 12_400,
    lagSeconds: 95,
    consumeRate: 80,
    timeToCatchUpSeconds: 155,
    topics: ['orders', 'payments'],
  }),
  group({
    group: 'shipping',
    status: 'STOP',
    state: 'Empty',
    members: 0,
    lagMessages: 560,
    lagSeconds: 4000,
    lagSecondsLowerBound: true,
    consumeRate: 0,
    timeToCatchUpSeconds: null,
    lastRebalanceAt: null,
    topics: ['shipments'],
  }),
];

export const DLQ: DlqSummary = {
  topic: 'payments.dlq',
  depth: 42,
  addedLastInterval: 2,
  growthPerMinute: 6,
  addedSinceMark: null,
  markAt: null,
  consumerGroups: ['payments'],
  originalTopics: ['orders'],
  reasons: [
    { errorClass: 'DecodeError', message: 'unknown magic byte', count: 30 },
    { errorClass: 'TransientError', message: 'timeout', count: 12 },
  ],
};

export const OVERVIEW: OverviewResponse = {
  snapshotAt: NOW - 3000,
  rangeSeconds: 3600,
  throughput: [
    { at: T0, recordsPerSecond: 900 },
    { at: NOW, recordsPerSecond: 1234 },
  ],
  latency: [
    { at: T0, p50Ms: 40, p95Ms: 120, p99Ms: 300 },
    { at: NOW, p50Ms: 42, p95Ms: 130, p99Ms: 2500 },
  ],
  sagaOutcomes: { 'in-flight': 7, completed: 1200, compensated: 30, failed: 4, stuck: 1 },
  worstGroups: [GROUPS[2]!, GROUPS[1]!, GROUPS[0]!],
  dlqs: [DLQ],
  duplicates: 3,
  unaccounted: 0,
};

export const GROUP_DETAIL: GroupDetail = {
  snapshotAt: NOW,
  summary: GROUPS[1]!,
  partitions: [
    {
      topic: 'orders',
      partition: 0,
      committedOffset: 1000,
      endOffset: 13_000,
      lagMessages: 12_000,
      lagSeconds: 95,
      lagSecondsLowerBound: false,
      status: 'WARN',
      memberId: 'inventory-1-abc',
    },
    {
      topic: 'orders',
      partition: 1,
      committedOffset: null,
      endOffset: 400,
      lagMessages: 400,
      lagSeconds: null,
      lagSecondsLowerBound: false,
      status: 'OK',
      memberId: null,
    },
  ],
  members: [
    {
      memberId: 'inventory-1-abc',
      clientId: 'inventory-1',
      host: '/127.0.0.1',
      assignment: [{ topic: 'orders', partitions: [0, 1] }],
    },
  ],
  rebalances: [
    { at: NOW - 120_000, generation: 7, durationMs: 3200, membersBefore: 2, membersAfter: 1 },
    { at: NOW - 600_000, generation: 6, durationMs: null, membersBefore: null, membersAfter: null },
  ],
  history: [
    { at: T0, topic: 'orders', partition: 0, lagMessages: 9000, lagSeconds: 60 },
    { at: T0, topic: 'orders', partition: 1, lagMessages: 300, lagSeconds: null },
    { at: NOW, topic: 'orders', partition: 0, lagMessages: 12_000, lagSeconds: 95 },
    { at: NOW, topic: 'orders', partition: 1, lagMessages: 400, lagSeconds: null },
  ],
};

export const DLQ_DETAIL: DlqDetail = {
  snapshotAt: NOW,
  summary: DLQ,
  history: [
    { at: T0, depth: 36, added: 1 },
    { at: NOW, depth: 42, added: 2 },
  ],
  records: [
    {
      partition: 0,
      offset: 41,
      timestamp: NOW - 10_000,
      key: 'order-17',
      headers: {
        'event-id': '0193a1b2-0000-7000-8000-0000000000aa',
        'event-type': 'payment.requested',
        'dlq-error-class': 'DecodeError',
        'dlq-error-message': 'unknown magic byte 0x7b',
        'dlq-original-topic': 'orders',
      },
      payload: { orderId: 'order-17', amountCents: 1999 },
      payloadError: null,
      eventId: '0193a1b2-0000-7000-8000-0000000000aa',
      eventType: 'payment.requested',
      errorClass: 'DecodeError',
      errorMessage: 'unknown magic byte 0x7b',
      originalTopic: 'orders',
      originalPartition: 2,
      originalOffset: 1234,
      consumerGroup: 'payments',
      attempts: 3,
    },
    {
      partition: 0,
      offset: 40,
      timestamp: NOW - 20_000,
      key: 'order-9',
      headers: { 'dlq-error-class': 'TransientError' },
      payload: null,
      payloadError: 'schema 99 not found in the registry',
      eventId: null,
      eventType: null,
      errorClass: 'TransientError',
      errorMessage: 'timeout',
      originalTopic: 'orders',
      originalPartition: 0,
      originalOffset: 77,
      consumerGroup: 'payments',
      attempts: 5,
    },
  ],
};

function hop(over: Partial<Hop> & Pick<Hop, 'eventId' | 'eventType' | 'fromService' | 'publishedAt'>): Hop {
  return {
    topic: 'orders',
    partition: 0,
    offset: 10,
    group: null,
    toService: null,
    startedAt: null,
    endedAt: null,
    queueMs: null,
    processingMs: null,
    outcome: 'processed',
    attempts: 1,
    compensation: false,
    dlqTopic: null,
    position: null,
    estimatedWaitSeconds: null,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    headers: { 'event-id': over.eventId, 'event-type': over.eventType, 'correlation-id': 'order-17' },
    spans: [],
    ...over,
  };
}

export const HOPS: Hop[] = [
  hop({
    eventId: 'e1',
    eventType: 'order.placed',
    fromService: 'orders',
    publishedAt: T0,
    group: 'payments',
    toService: 'payments',
    startedAt: T0 + 30,
    endedAt: T0 + 80,
    queueMs: 30,
    processingMs: 50,
    spans: [
      {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        parentSpanId: null,
        name: 'process orders',
        kind: 'CONSUMER',
        service: 'payments',
        startAt: T0 + 30,
        endAt: T0 + 80,
        attributes: { 'eventscope.outcome': 'processed' },
      },
    ],
  }),
  hop({
    eventId: 'e2',
    eventType: 'payment.declined',
    fromService: 'payments',
    publishedAt: T0 + 85,
    topic: 'payments',
    group: 'orders-saga',
    toService: 'orders',
    startedAt: T0 + 100,
    endedAt: T0 + 400,
    queueMs: 15,
    processingMs: 300,
    outcome: 'dead_lettered',
    attempts: 3,
    dlqTopic: 'orders-saga.dlq',
  }),
  hop({
    eventId: 'e3',
    eventType: 'inventory.release',
    fromService: 'orders',
    publishedAt: T0 + 410,
    topic: 'inventory',
    group: 'inventory',
    toService: 'inventory',
    outcome: 'pending',
    compensation: true,
    position: 1200,
    estimatedWaitSeconds: 15,
  }),
];

export const SAGA: SagaDetail = {
  saga: {
    correlationId: 'order-17',
    type: 'order',
    status: 'in-flight',
    startedAt: T0,
    endedAt: null,
    durationMs: 410,
    hopCount: 3,
    services: ['orders', 'payments', 'inventory'],
    compensations: 1,
    dlqSteps: 1,
    lastEventType: 'inventory.release',
  },
  hops: HOPS,
};

export const SAGAS: SagasResponse = {
  total: 3,
  sagas: [
    SAGA.saga,
    {
      ...SAGA.saga,
      correlationId: 'order-1',
      status: 'completed',
      durationMs: 1800,
      startedAt: T0 - 5000,
      endedAt: T0,
      compensations: 0,
      dlqSteps: 0,
      hopCount: 6,
    },
    {
      ...SAGA.saga,
      correlationId: 'order-2',
      status: 'compensated',
      durationMs: 90_000,
      startedAt: T0 - 9000,
      endedAt: T0,
      compensations: 2,
      dlqSteps: 0,
      hopCount: 9,
    },
  ],
};

export const EVENT: EventLookup = {
  event: {
    eventId: 'e1',
    eventType: 'order.placed',
    topic: 'orders',
    partition: 0,
    offset: 10,
    publishedAt: T0,
    service: 'orders',
    key: 'order-17',
    correlationId: 'order-17',
    causationId: null,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    headers: { 'event-id': 'e1', 'event-type': 'order.placed', 'correlation-id': 'order-17' },
  },
  groups: [
    {
      group: 'payments',
      service: 'payments',
      state: 'processed',
      deliveries: [
        { startedAt: T0 + 30, endedAt: T0 + 80, outcome: 'processed', attempt: 1, service: 'payments' },
        { startedAt: T0 + 900, endedAt: T0 + 950, outcome: 'processed', attempt: 1, service: 'payments' },
      ],
      duplicate: true,
      committedOffset: 11,
      position: null,
      estimatedWaitSeconds: null,
      dlqTopic: null,
    },
    {
      group: 'analytics',
      service: null,
      state: 'pending',
      deliveries: [],
      duplicate: false,
      committedOffset: 4,
      position: 6,
      estimatedWaitSeconds: 2.5,
      dlqTopic: null,
    },
  ],
};

export const FLOWS: FlowMapResponse = {
  rangeSeconds: 3600,
  nodes: [
    { id: 'svc:orders', kind: 'service', name: 'orders' },
    { id: 'topic:orders', kind: 'topic', name: 'orders' },
    { id: 'svc:payments', kind: 'service', name: 'payments' },
  ],
  edges: [
    {
      from: 'svc:orders',
      to: 'topic:orders',
      group: null,
      ratePerSecond: 1200,
      p50Ms: 2,
      p95Ms: 8,
      errorsPerSecond: null,
    },
    {
      from: 'topic:orders',
      to: 'svc:payments',
      group: 'payments',
      ratePerSecond: 1190,
      p50Ms: 30,
      p95Ms: 250,
      errorsPerSecond: 0.5,
    },
  ],
};
