/**
 * HTTP routes of DLQ redrive. Starting and cancelling need the operator role and are audited
 * (the cluster, the filter, the counts, the outcome); reading needs `read`. Progress streams as
 * server-sent events until the redrive ends. A redrive is started on and listed by a cluster
 * (`?cluster=`, default the primary); one is found by its id on whichever cluster has it.
 */
import { PassThrough } from 'node:stream';
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Errors } from 'typebox/value';
import { requireRole } from '../../auth/index.ts';
import { badRequest, notFound } from '../../errors.ts';
import { ClusterQuerySchema, ErrorSchema } from '../../lag/schemas.ts';
import { DLQ_HEADER } from '@eventscope/contract';
import { MASK, maskRecordView, type Masking } from '../../masking/index.ts';
import { TopicParamsSchema } from '../schemas.ts';
import {
  RedriveAllSelectSchema,
  RedriveDryRunSchema,
  RedriveFilterSelectSchema,
  RedriveOffsetsSelectSchema,
  RedriveListSchema,
  RedriveParamsSchema,
  RedriveRequestSchema,
  RedriveResponseSchema,
} from './schemas.ts';
import type { Redrive, RedriveSelect } from '../../api-types.ts';

const HEARTBEAT_MS = 15_000;
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
  503: ErrorSchema,
};

/**
 * A filter's values of masked headers (maskHeaders) read as MASK: viewers list redrives and read
 * the audit log, and a filter on `email` = a customer's address must not show it to them.
 */
function maskedSelect(masking: Masking, select: RedriveSelect): RedriveSelect {
  if (select.kind !== 'filter' || !masking.active) return select;
  const out = { ...select };
  const hide = (header: string, value: string | undefined) =>
    value !== undefined && masking.isMaskedHeader(header) ? MASK : value;
  out.errorClass = hide(DLQ_HEADER.errorClass, out.errorClass);
  out.originalTopic = hide(DLQ_HEADER.originalTopic, out.originalTopic);
  out.group = hide(DLQ_HEADER.consumerGroup, out.group);
  if (out.header && masking.isMaskedHeader(out.header.name)) out.header = { ...out.header, value: MASK };
  return out;
}

/** What the audit row says about a redrive: what it took, where to, how far it got. */
const auditDetail = (r: Redrive): string =>
  JSON.stringify({
    id: r.id,
    cluster: r.cluster,
    select: r.select,
    target: r.target.kind,
    ratePerSecond: r.ratePerSecond,
    selected: r.selected,
    sent: r.sent,
    failed: r.failed,
    outcome: r.outcome,
  });

const SELECT_KINDS = new Map<unknown, TSchema>(
  [RedriveOffsetsSelectSchema, RedriveFilterSelectSchema, RedriveAllSelectSchema].map((s) => [
    s.properties.kind.const,
    s,
  ]),
);

/** Refuses a body with keys the schema does not name (the validator would drop them silently). */
function strictBody(body: unknown): void {
  const error = Errors(RedriveRequestSchema, body)[0];
  if (!error) return;
  // A union's error names its first member ("must have required properties records" for a
  // filter whose `fromMs` is 1e400): the member of the select's own `kind` says what is wrong.
  const select: unknown = (body as { select?: unknown } | null)?.select;
  const kind: unknown = typeof select === 'object' && select !== null ? (select as { kind?: unknown }).kind : undefined;
  const member = SELECT_KINDS.get(kind);
  const inSelect = member && Errors(member, select)[0];
  if (error.instancePath === '/select' && inSelect) {
    throw badRequest(`body/select${inSelect.instancePath}: ${inSelect.message}`);
  }
  throw badRequest(`body${error.instancePath}: ${error.message}`);
}

const subject = (req: FastifyRequest): string => req.principal?.subject ?? 'anonymous';

export function redriveRoutes(appBase: FastifyInstance): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const missing = (id: string) => notFound(`no redrive ${JSON.stringify(id)}`);
  /** The engine of the cluster that has this redrive (ids are random UUIDs: one cluster has it), or 404. */
  const engineOf = async (id: string) => {
    for (const engine of app.redriveEngines.values()) if (await engine.has(id)) return engine;
    throw missing(id);
  };
  /** The redrive as shown and audited: its filter's masked header values as MASK. */
  const shown = (r: Redrive): Redrive => ({ ...r, select: maskedSelect(app.masking, r.select) });
  // Open event streams, ended when the app closes so shutdown does not wait on them.
  const open = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of open) end();
    done();
  });

  app.post(
    '/api/dlqs/:topic/redrives',
    {
      schema: {
        tags: ['dlq'],
        summary:
          "Redrives DLQ records (by offsets, filter or all) to their original topic or the failed group's retry topic; dryRun: count and sample only. Operator role.",
        params: TopicParamsSchema,
        querystring: ClusterQuerySchema,
        body: RedriveRequestSchema,
        response: { 200: RedriveDryRunSchema, 202: RedriveResponseSchema, ...errors },
      },
      // Checked before the validator drops unknown keys: a misspelt `dryrun` or filter key must
      // not turn into a real redrive of every record.
      preValidation: (req, _reply, done) => {
        requireRole(req, 'operator');
        strictBody(req.body);
        done();
      },
    },
    async (req, reply) => {
      requireRole(req, 'operator');
      const topic = req.params.topic;
      const engine = app.redriveEngine(req.query.cluster);
      if (req.body.dryRun === true) {
        const dry = await engine.dryRun(topic, req.body);
        // Samples are masked like every record view (maskFields, maskHeaders); the DLQ view unmasks.
        const result = { ...dry, sample: dry.sample.map((r) => maskRecordView(app.masking, r)) };
        await app.auth.recordAudit(req, {
          action: 'dlq.redrive.dry-run',
          target: topic,
          result: 'ok',
          detail: JSON.stringify({
            cluster: result.cluster,
            select: maskedSelect(app.masking, req.body.select),
            count: result.count,
          }),
        });
        return reply.code(200).send(result);
      }
      const redrive = shown(await engine.start(topic, req.body, subject(req)));
      await app.auth.recordAudit(req, {
        action: 'dlq.redrive',
        target: topic,
        result: 'started',
        detail: auditDetail(redrive),
      });
      return reply.code(202).send({ redrive });
    },
  );

  app.get(
    '/api/redrives',
    {
      schema: {
        tags: ['dlq'],
        summary: 'Redrives of the cluster, newest first',
        querystring: ClusterQuerySchema,
        response: { 200: RedriveListSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req) => ({ redrives: (await app.redriveEngine(req.query.cluster).list()).map(shown) }),
  );

  app.get(
    '/api/redrives/:id',
    {
      schema: {
        tags: ['dlq'],
        summary:
          'One redrive: counts and what became of the redriven records (processed, dead-lettered again, pending)',
        params: RedriveParamsSchema,
        response: { 200: RedriveResponseSchema, ...errors },
      },
    },
    async (req) => {
      const redrive = await (await engineOf(req.params.id)).get(req.params.id);
      if (!redrive) throw missing(req.params.id);
      return { redrive: shown(redrive) };
    },
  );

  app.get(
    '/api/redrives/:id/events',
    {
      schema: {
        tags: ['dlq'],
        summary: 'Server-sent events `progress` (data: the redrive) until the redrive ends',
        params: RedriveParamsSchema,
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      const engine = await engineOf(id);
      const stream = new PassThrough();
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        unsubscribe();
        clearInterval(heartbeat);
        open.delete(end);
        stream.end();
      };
      const send = (r: Redrive): void => {
        if (ended) return;
        stream.write(`event: progress\ndata: ${JSON.stringify(shown(r))}\n\n`);
        if (r.status !== 'running') end();
      };
      // Subscribed before the current state is read, so an end in between is not missed.
      const unsubscribe = engine.subscribe(id, send);
      const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
      open.add(end);
      req.raw.on('close', end);
      const current = await engine.get(id);
      if (current) send(current);
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(stream);
    },
  );

  app.post(
    '/api/redrives/:id/cancel',
    {
      schema: {
        tags: ['dlq'],
        summary: 'Cancels a running redrive (records already sent stay sent). Operator role.',
        params: RedriveParamsSchema,
        response: { 200: RedriveResponseSchema, ...errors },
      },
    },
    async (req) => {
      requireRole(req, 'operator');
      const engine = await engineOf(req.params.id);
      const cancelled = await engine.cancel(req.params.id);
      if (!cancelled) throw missing(req.params.id);
      const redrive = shown(cancelled);
      await app.auth.recordAudit(req, {
        action: 'dlq.redrive.cancel',
        target: redrive.dlqTopic,
        result: redrive.status,
        detail: auditDetail(redrive),
      });
      return { redrive };
    },
  );
}
