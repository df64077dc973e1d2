/** HTTP routes of the DLQ capability: read the service's state (from the last poll); never call Kafka. */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.ts';
import type { KafkaMonitor } from '../lag/index.ts';
import { maskRecordView, unmaskRequested } from '../masking/index.ts';
import { ErrorSchema } from '../lag/schemas.ts';
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
import type { DlqService, DlqState } from './service.ts';
import { UnmaskQuerySchema } from './triage/schemas.ts';

const summary = ({ latest: _latest, ...rest }: DlqState) => rest;

/** The redrives that sent each of these records of a DLQ, by `partition:offset` (dlq/redrive/). */
export type RedriveMarks = (
  topic: string,
  records: readonly { partition: number; offset: number }[],
) => Promise<Map<string, DlqRedriveMark[]>>;

export function dlqRoutes(
  appBase: FastifyInstance,
  service: DlqService,
  monitor: KafkaMonitor,
  redriveMarks?: RedriveMarks,
): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const missing = (topic: string) =>
    notFound(
      service.isDlq(topic)
        ? `DLQ topic ${JSON.stringify(topic)} is not in the last snapshot`
        : `${JSON.stringify(topic)} does not match the DLQ pattern (EVENTSCOPE_DLQ_PATTERN)`,
    );

  app.get(
    '/api/dlqs',
    {
      schema: {
        tags: ['dlq'],
        summary: 'Dead-letter topics with depth, growth and records added since the mark',
        response: { 200: DlqListSchema },
      },
    },
    (): DlqList => ({
      cluster: app.config.kafkaClusterName,
      snapshotTime: monitor.snapshot?.time ?? null,
      dlqs: service.list().map((s) => app.masking.dlqSummary(summary(s))),
    }),
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
      const state = service.get(req.params.topic);
      const time = monitor.snapshot?.time;
      if (!state || time === undefined) throw missing(req.params.topic);
      // Masked fields and headers (maskFields, maskHeaders) unless an operator asked to unmask (audited).
      const unmasked = await unmaskRequested(req, req.query.unmask, `dlq=${state.topic}`);
      const marks = (await redriveMarks?.(state.topic, state.latest)) ?? new Map<string, DlqRedriveMark[]>();
      const latest = state.latest.map((r) => ({
        ...maskRecordView(app.masking, r, unmasked),
        redrives: marks.get(`${r.partition}:${r.offset}`) ?? [],
      }));
      return {
        cluster: app.config.kafkaClusterName,
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
      const samples = service.history(req.params.topic);
      const time = monitor.snapshot?.time;
      if (!samples || time === undefined) throw missing(req.params.topic);
      const since = req.query.since;
      return {
        cluster: app.config.kafkaClusterName,
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
        summary: "Marks the DLQ's current end offsets; addedSinceMark counts from here",
        params: TopicParamsSchema,
        response: { 200: DlqMarkResponseSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    (req): DlqMarkResponse => {
      const state = service.mark(req.params.topic);
      if (!state?.mark) throw missing(req.params.topic);
      return { topic: state.topic, mark: state.mark, addedSinceMark: state.addedSinceMark ?? 0 };
    },
  );
}
