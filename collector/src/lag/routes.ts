/**
 * HTTP routes of the Kafka monitor: read the last snapshot, never call Kafka. Each takes
 * `?cluster=<name>` (default: the primary cluster) and says which cluster it answers about.
 */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.ts';
import { globToRegExp } from './monitor.ts';
import {
  ClusterListSchema,
  ClusterQuerySchema,
  ErrorSchema,
  GroupDetailSchema,
  GroupListQuerySchema,
  GroupListSchema,
  GroupParamsSchema,
  TopicListSchema,
  type ClusterList,
  type GroupDetail,
  type GroupSummary,
  type TopicList,
} from './schemas.ts';
import type { GroupLag } from './types.ts';

/** A member's topic -> partitions as the API's list. */
const topicPartitions = (a: Record<string, number[]>) =>
  Object.entries(a).map(([topic, partitions]) => ({ topic, partitions }));

export function toSummary(g: GroupLag, cluster: string): GroupSummary {
  return {
    cluster,
    group: g.group,
    groupType: g.groupType,
    state: g.state,
    status: g.status,
    error: g.error,
    memberCount: g.members.length,
    lag: g.lag,
    lagSeconds: g.lagSeconds,
    lagSecondsIsLowerBound: g.lagSecondsIsLowerBound,
    consumeRate: g.consumeRate,
    timeToCatchUpSeconds: g.timeToCatchUpSeconds,
    recordsLostToRetention: g.recordsLostToRetention,
    retentionRisk: g.retentionRisk,
    topics: g.topics,
    rebalanceCount: g.rebalanceCount,
    lastRebalance: g.lastRebalance,
    updatedAt: g.updatedAt,
  };
}

export function lagRoutes(appBase: FastifyInstance): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const isDlq = globToRegExp(app.config.dlqPattern);

  app.get(
    '/api/groups',
    {
      schema: {
        tags: ['lag'],
        summary: 'Consumer groups with status, lag in messages and seconds, members, rates and last rebalance',
        querystring: GroupListQuerySchema,
        response: { 200: GroupListSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req) => {
      const { name, monitor } = app.cluster(req.query.cluster);
      const snapshot = monitor.snapshot;
      const groups = [...(snapshot?.groups.values() ?? [])]
        .filter((g) => req.query.status === undefined || g.status === req.query.status)
        .map((g) => toSummary(g, name));
      return {
        cluster: name,
        snapshotTime: snapshot?.time ?? null,
        groups,
        missingGroupTypes: snapshot?.missingGroupTypes ?? [],
      };
    },
  );

  app.get(
    '/api/groups/:group',
    {
      schema: {
        tags: ['lag'],
        summary: 'One group: per-partition lag and status, members and assignment, lag history, rebalances',
        params: GroupParamsSchema,
        querystring: ClusterQuerySchema,
        response: { 200: GroupDetailSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req): GroupDetail => {
      const { name, monitor } = app.cluster(req.query.cluster);
      const snapshot = monitor.snapshot;
      const g = snapshot?.groups.get(req.params.group);
      if (!snapshot || !g) {
        throw notFound(
          snapshot
            ? `consumer group ${JSON.stringify(req.params.group)} is not in the last snapshot of cluster ${name}`
            : `no Kafka snapshot of cluster ${name} yet; the first poll has not completed`,
        );
      }
      const history = monitor.history(g.group);
      return {
        cluster: name,
        snapshotTime: snapshot.time,
        group: {
          ...toSummary(g, name),
          protocolType: g.protocolType,
          protocol: g.protocol,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            host: m.host,
            assignment: topicPartitions(m.assignment),
            memberEpoch: m.memberEpoch ?? null,
            targetAssignment: m.targetAssignment ? topicPartitions(m.targetAssignment) : null,
            processId: m.processId ?? null,
            standbyAssignment: m.standbyAssignment ? topicPartitions(m.standbyAssignment) : null,
            warmupAssignment: m.warmupAssignment ? topicPartitions(m.warmupAssignment) : null,
          })),
          partitions: g.partitions,
          history: {
            total: [...history.total],
            topics: Object.fromEntries([...history.topics].map(([t, points]) => [t, [...points]])),
          },
          rebalances: [...monitor.rebalances(g.group)],
          statusWindow: monitor.statusWindow,
          lagTolerance: monitor.tolerance,
          lagBudgetSeconds: monitor.lagBudgetSeconds,
        },
      };
    },
  );

  app.get(
    '/api/topics',
    {
      schema: {
        tags: ['lag'],
        summary: 'Topics with partitions, retained records, throughput and consuming groups',
        querystring: ClusterQuerySchema,
        response: { 200: TopicListSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req): TopicList => {
      const { name, monitor } = app.cluster(req.query.cluster);
      const snapshot = monitor.snapshot;
      const consumers = new Map<string, Set<string>>();
      for (const g of snapshot?.groups.values() ?? []) {
        for (const t of g.topics) {
          const set = consumers.get(t.topic) ?? new Set<string>();
          set.add(g.group);
          consumers.set(t.topic, set);
        }
      }
      return {
        cluster: name,
        snapshotTime: snapshot?.time ?? null,
        topics: [...(snapshot?.topics.values() ?? [])].map((t) => ({
          cluster: name,
          topic: t.topic,
          partitions: t.partitions.length,
          records: t.records,
          endOffsetSum: t.endOffsetSum,
          recordsInPerSecond: t.recordsInPerSecond,
          recordsInLastInterval: t.recordsInLastInterval,
          isDlq: isDlq.test(t.topic),
          consumerGroups: [...(consumers.get(t.topic) ?? [])].sort(),
          offsets: t.partitions,
          error: t.error,
        })),
      };
    },
  );
}

/** GET /api/clusters: every monitored cluster, whether it is reachable and polled, from memory. */
export function clusterRoutes(appBase: FastifyInstance): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/clusters',
    {
      schema: {
        tags: ['lag'],
        summary: 'The Kafka clusters this collector monitors (the primary first): connection, polling, groups',
        response: { 200: ClusterListSchema },
      },
    },
    (): ClusterList => ({
      clusters: [...app.clusters.values()].map((k) => {
        const snapshot = k.monitor.snapshot;
        const lastPollFailed = k.lease.leading && k.monitor.lastSuccessTime !== undefined && !k.monitor.lastCycleOk;
        // Not connected with no reason yet: still connecting (or not polling at all); `connected` says it.
        const problem = !k.adapter.connected
          ? k.adapter.problem
          : lastPollFailed
            ? 'the last poll failed (eventscope_kafka_poll_errors_total says at which stage)'
            : undefined;
        return {
          name: k.name,
          brokers: [...k.brokers],
          primary: k.primary,
          connected: k.adapter.connected,
          ...(problem === undefined ? {} : { problem }),
          leading: k.lease.leading,
          groups: snapshot?.groups.size ?? 0,
          ...(snapshot ? { polledAt: new Date(snapshot.time).toISOString() } : {}),
        };
      }),
    }),
  );
}
