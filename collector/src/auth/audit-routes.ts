/**
 * `GET /api/audit-log`: the audit log of state changes and refused attempts, newest first,
 * paged by id. Readable by viewers. (Not `/api/audit`: that is the flows' loss audit.)
 */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const AuditLogEntrySchema = Type.Object({
  id: Type.Integer({ description: 'increases with every row; the page cursor' }),
  timeMs: Type.Number({ description: 'when, milliseconds since the epoch' }),
  subject: Type.String({ description: 'a token name or a signed-in user; `anonymous` when nobody was authenticated' }),
  role: Nullable(Type.Union([Type.Literal('viewer'), Type.Literal('operator')])),
  via: Nullable(Type.Union([Type.Literal('token'), Type.Literal('session')])),
  action: Type.String({ description: 'e.g. `POST /api/dlqs/:topic/mark` (the route as declared) or `dlq.redrive`' }),
  target: Type.String({ description: 'what it was done to, e.g. `topic=payments.dlq`' }),
  result: Type.String({
    description: '`ok`, `failed (HTTP 404)`, or `refused: unauthorized|forbidden|origin|host|form_body`',
  }),
  detail: Nullable(Type.String()),
  remoteAddress: Type.String(),
  userAgent: Nullable(Type.String()),
});
export type AuditLogEntry = Static<typeof AuditLogEntrySchema>;

export const AuditLogQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  before: Type.Optional(
    Type.Integer({ minimum: 1, description: 'only rows older than this id (the last id of the previous page)' }),
  ),
});

export const AuditLogSchema = Type.Object({
  entries: Type.Array(AuditLogEntrySchema),
  nextBefore: Nullable(
    Type.Integer({ description: 'pass as `before` for the next (older) page; null on the last page' }),
  ),
});
export type AuditLog = Static<typeof AuditLogSchema>;

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
