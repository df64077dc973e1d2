/**
 * HTTP routes of the DLQ capability: read the DLQ state of the cluster asked for (`?cluster=`,
 * default the primary) from its last poll; never call Kafka.
 */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.ts';
import { ClusterQuerySchema, ErrorSchema } from '../lag/schemas.ts';
import { maskRecordView, unmaskRequested } from '../masking/index.ts';
import {
  DlqDetailSchema,
  DlqHistoryQuerySchema,
  DlqHistorySchema,
  DlqListSchema,
  DlqMarkResponseSchema,
  TopicParamsSchema,
  type DlqDetail,
  type DlqHistory,
  type DlqList,
  type DlqMarkResponse,
  type DlqRedriveMark,
} from './schemas.ts';
import type { DlqState } from './service.ts';
import { UnmaskQuerySchema } from './triage/schemas.ts';

const summary = ({ latest: _latest, ...rest }: DlqState) => rest;

/** The redrives that sent each of these records of a cluster's DLQ, by `partition:offset` (dlq/redrive/). */
export type RedriveMarks = (
  cluster: string,
  topic: string,
  records: readonly { partition: number; offset: number }[],
) => Promise<Map<string, DlqRedriveMark[]>>;

export function dlqRoutes(appBase: FastifyInstance, redriveMarks?: RedriveMarks): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  /** The cluster's DLQs and its last snapshot time (`?cluster=`; 404 CLUSTER_NOT_FOUND for an unknown name). */
  const dlqsOf = (cluster: string | undefined) => {
    const dlqs = app.dlqCluster(cluster);
    return { ...dlqs, time: dlqs.monitor.snapshot?.time };
  };
  const missing = ({ name, service }: ReturnType<typeof dlqsOf>, topic: string) =>
    notFound(
      service.isDlq(topic)
        ? `DLQ topic ${JSON.stringify(topic)} is not in the last snapshot of cluster ${name}`
        : `${JSON.stringify(topic)} does not match the DLQ pattern (EVENTSCOPE_DLQ_PATTERN)`,
    );

  app.get(
    '/api/dlqs',
    {
      schema: {
        tags: ['dlq'],
        summary: 'Dead-letter topics of the cluster with depth, growth and records added since the mark',
        querystring: ClusterQuerySchema,
        response: { 200: DlqListSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req): DlqList => {
      const { name, service, time } = dlqsOf(req.query.cluster);
      return {
        cluster: name,
        snapshotTime: time ?? null,
        dlqs: service.list().map((s) => app.masking.dlqSummary(summary(s))),
      };
    },
  );

  app.get(
    '/api/dlqs/:topic',
    {
      schema: {
        tags: ['dlq'],
        summary:
          'One DLQ with its latest records: error class and message, original topic/partition/offset, group, attempts',
        params: TopicParamsSchema,
        querystring: UnmaskQuerySchema,
        response: { 200: DlqDetailSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req): Promise<DlqDetail> => {
      const dlqs = dlqsOf(req.query.cluster);
      const { name, service, time } = dlqs;
      const state = service.get(req.params.topic);
      if (!state || time === undefined) throw missing(dlqs, req.params.topic);
      // Masked fields and headers (maskFields, maskHeaders) unless an operator asked to unmask (audited).
      const unmasked = await unmaskRequested(req, req.query.unmask, dlqs.auditTarget(state.topic));
      const marks = (await redriveMarks?.(name, state.topic, state.latest)) ?? new Map<string, DlqRedriveMark[]>();
      const latest = state.latest.map((r) => ({
        ...maskRecordView(app.masking, r, unmasked),
        redrives: marks.get(`${r.partition}:${r.offset}`) ?? [],
      }));
      return {
        cluster: name,
        snapshotTime: time,
        dlq: { ...(unmasked ? state : app.masking.dlqSummary(state)), latest },
      };
    },
  );

  app.get(
    '/api/dlqs/:topic/history',
    {
      schema: {
        tags: ['dlq'],
        summary:
          'Depth of one DLQ at each poll (oldest first, a bounded ring per topic), for depth and growth over time',
        params: TopicParamsSchema,
        querystring: DlqHistoryQuerySchema,
        response: { 200: DlqHistorySchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req): DlqHistory => {
      const dlqs = dlqsOf(req.query.cluster);
      const { name, service, time } = dlqs;
      const samples = service.history(req.params.topic);
      if (!samples || time === undefined) throw missing(dlqs, req.params.topic);
      const since = req.query.since;
      return {
        cluster: name,
        topic: req.params.topic,
        snapshotTime: time,
        capacity: service.historySize,
        samples: since === undefined ? samples : samples.filter((s) => s.time >= since),
      };
    },
  );

  app.post(
    '/api/dlqs/:topic/mark',
    {
      schema: {
        tags: ['dlq'],
        summary: "Marks the DLQ's current end offsets (on its cluster); addedSinceMark counts from here",
        params: TopicParamsSchema,
        querystring: ClusterQuerySchema,
        response: { 200: DlqMarkResponseSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req): DlqMarkResponse => {
      const dlqs = dlqsOf(req.query.cluster);
      const state = dlqs.service.mark(req.params.topic);
      if (!state?.mark) throw missing(dlqs, req.params.topic);
      return { cluster: dlqs.name, topic: state.topic, mark: state.mark, addedSinceMark: state.addedSinceMark ?? 0 };
    },
  );
}
