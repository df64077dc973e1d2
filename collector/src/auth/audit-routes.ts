/**
 * `GET /api/audit-log`: the audit log of state changes and refused attempts, newest first,
 * paged by id. Readable by viewers. (Not `/api/audit`: that is the flows' loss audit.)
 */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AuditLogQuerySchema, AuditLogSchema, type AuditLog } from './schemas.ts';

const ErrorSchema = Type.Object({ error: Type.String(), message: Type.String() });

export function auditRoutes(appBase: FastifyInstance): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/audit-log',
    {
      config: { access: 'read' },
      schema: {
        tags: ['auth'],
        summary:
          'Audit log of state changes (DLQ marks, redrives) and refused writes: who, what, when, from where; newest first',
        querystring: AuditLogQuerySchema,
        response: { 200: AuditLogSchema, 400: ErrorSchema },
      },
    },
    async (req): Promise<AuditLog> => {
      const limit = req.query.limit ?? 50;
      const rows = await app.store.auditLog({
        limit: limit + 1,
        ...(req.query.before !== undefined ? { beforeId: req.query.before } : {}),
      });
      const page = rows.slice(0, limit);
      return {
        entries: page.map(({ timeUs, ...rest }) => ({ timeMs: timeUs / 1000, ...rest })),
        nextBefore: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );
}
