/** HTTP routes of the Kafka monitor: read the last snapshot, never call Kafka. */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.ts';
import { globToRegExp, type KafkaMonitor } from './monitor.ts';
import {
  ErrorSchema,
  GroupDetailSchema,
  GroupListQuerySchema,
  GroupListSchema,
  GroupParamsSchema,
  TopicListSchema,
  type GroupDetail,
  type GroupSummary,
  type TopicList,
} from './schemas.ts';
import type { GroupLag } from './types.ts';

export function toSummary(g: GroupLag): GroupSummary {
  return {
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

export function lagRoutes(appBase: FastifyInstance, monitor: KafkaMonitor): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const isDlq = globToRegExp(app.config.dlqPattern);

  app.get(
    '/api/groups',
    {
      schema: {
        tags: ['lag'],
        summary: 'Consumer groups with status, lag in messages and seconds, members, rates and last rebalance',
        querystring: GroupListQuerySchema,
        response: { 200: GroupListSchema, 400: ErrorSchema },
      },
    },
    (req) => {
      const snapshot = monitor.snapshot;
      const groups = [...(snapshot?.groups.values() ?? [])]
        .filter((g) => req.query.status === undefined || g.status === req.query.status)
        .map(toSummary);
      return { snapshotTime: snapshot?.time ?? null, groups, missingGroupTypes: snapshot?.missingGroupTypes ?? [] };
    },
  );

  app.get(
    '/api/groups/:group',
    {
      schema: {
        tags: ['lag'],
        summary: 'One group: per-partition lag and status, members and assignment, lag history, rebalances',
        params: GroupParamsSchema,
        response: { 200: GroupDetailSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req): GroupDetail => {
      const snapshot = monitor.snapshot;
      const g = snapshot?.groups.get(req.params.group);
      if (!snapshot || !g) {
        throw notFound(
          snapshot
            ? `consumer group ${JSON.stringify(req.params.group)} is not in the last snapshot`
            : 'no Kafka snapshot yet; the first poll has not completed',
        );
      }
      const history = monitor.history(g.group);
      return {
        snapshotTime: snapshot.time,
        group: {
          ...toSummary(g),
          protocolType: g.protocolType,
          protocol: g.protocol,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            host: m.host,
            assignment: Object.entries(m.assignment).map(([topic, partitions]) => ({ topic, partitions })),
            memberEpoch: m.memberEpoch ?? null,
            targetAssignment: m.targetAssignment
              ? Object.entries(m.targetAssignment).map(([topic, partitions]) => ({ topic, partitions }))
              : null,
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
        response: { 200: TopicListSchema },
      },
    },
    (): TopicList => {
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
        snapshotTime: snapshot?.time ?? null,
        topics: [...(snapshot?.topics.values() ?? [])].map((t) => ({
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
