/** HTTP routes of DLQ triage: read the triage state (from the last poll); never call Kafka. */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.ts';
import { ErrorSchema } from '../../lag/schemas.ts';
import { unmaskRequested } from '../../masking/index.ts';
import { TopicParamsSchema } from '../schemas.ts';
import type { DlqService } from '../service.ts';
import { DlqCausesSchema, UnmaskQuerySchema, type DlqCauses } from './schemas.ts';
import type { DlqTriage } from './service.ts';

export function triageRoutes(appBase: FastifyInstance, service: DlqService, triage: DlqTriage): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

  app.get(
    '/api/dlqs/:topic/causes',
    {
      schema: {
        tags: ['dlq'],
        summary:
          "One DLQ's records grouped by cause (error class + message fingerprint): count, first/last seen, topics, groups, sample, trend",
        params: TopicParamsSchema,
        querystring: UnmaskQuerySchema,
        response: { 200: DlqCausesSchema, ...errors, 404: ErrorSchema },
      },
    },
    async (req): Promise<DlqCauses> => {
      const { topic } = req.params;
      if (!service.get(topic)) throw notFound(`DLQ topic ${JSON.stringify(topic)} is not in the last snapshot`);
      const unmasked = await unmaskRequested(req, req.query.unmask, `dlq=${topic}`);
      return triage.causes(topic, app.masking, unmasked);
    },
  );

  app.get(
    '/api/dlq-causes',
    {
      schema: {
        tags: ['dlq'],
        summary: 'Records of every DLQ grouped by cause, merged across DLQs by fingerprint (most records first)',
        querystring: UnmaskQuerySchema,
        response: { 200: DlqCausesSchema, ...errors },
      },
    },
    async (req): Promise<DlqCauses> => {
      const unmasked = await unmaskRequested(req, req.query.unmask, 'dlq=*');
      return triage.causes(undefined, app.masking, unmasked);
    },
  );
}
