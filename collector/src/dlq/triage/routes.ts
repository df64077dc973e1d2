/**
 * HTTP routes of DLQ triage: read the triage state of the cluster asked for (`?cluster=`,
 * default the primary) from its last poll; never call Kafka.
 */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.ts';
import { ErrorSchema } from '../../lag/schemas.ts';
import { unmaskRequested } from '../../masking/index.ts';
import { TopicParamsSchema } from '../schemas.ts';
import { DlqCausesSchema, UnmaskQuerySchema, type DlqCauses } from './schemas.ts';

export function triageRoutes(appBase: FastifyInstance): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };

  app.get(
    '/api/dlqs/:topic/causes',
    {
      schema: {
        tags: ['dlq'],
        summary:
          "One DLQ's records grouped by cause (error class + message fingerprint): count, first/last seen, topics, groups, sample, trend",
        params: TopicParamsSchema,
        querystring: UnmaskQuerySchema,
        response: { 200: DlqCausesSchema, ...errors },
      },
    },
    async (req): Promise<DlqCauses> => {
      const { topic } = req.params;
      const { name, service, triage, auditTarget } = app.dlqCluster(req.query.cluster);
      if (!service.get(topic)) {
        throw notFound(`DLQ topic ${JSON.stringify(topic)} is not in the last snapshot of cluster ${name}`);
      }
      const unmasked = await unmaskRequested(req, req.query.unmask, auditTarget(topic));
      return { cluster: name, ...triage.causes(topic, app.masking, unmasked) };
    },
  );

  app.get(
    '/api/dlq-causes',
    {
      schema: {
        tags: ['dlq'],
        summary:
          'Records of every DLQ of the cluster grouped by cause, merged across DLQs by fingerprint (most records first)',
        querystring: UnmaskQuerySchema,
        response: { 200: DlqCausesSchema, ...errors },
      },
    },
    async (req): Promise<DlqCauses> => {
      const { name, triage, auditTarget } = app.dlqCluster(req.query.cluster);
      const unmasked = await unmaskRequested(req, req.query.unmask, auditTarget('*'));
      return { cluster: name, ...triage.causes(undefined, app.masking, unmasked) };
    },
  );
}
