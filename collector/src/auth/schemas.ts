/**
 * API schemas of sign-in (`/auth/me`, `/auth/logout`) and the audit log (`/api/audit-log`);
 * TypeBox, from which the routes' types, the OpenAPI document and the dashboard's types derive.
 */
import { Type, type Static, type TSchema } from 'typebox';

/** The request header that carries the CSRF token of a cookie session. */
export const CSRF_HEADER = 'x-csrf-token';

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

export const PrincipalSchema = Type.Object({
  subject: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('viewer'), Type.Literal('operator')]),
  via: Type.Union([Type.Literal('token'), Type.Literal('session')]),
});
export const MeSchema = Type.Object({
  sso: Type.Boolean({ description: 'Single sign-on is configured: the dashboard offers /auth/login.' }),
  authEnabled: Type.Boolean({ description: 'Requests need a principal (a token or a session).' }),
  principal: Type.Union([PrincipalSchema, Type.Null()]),
  csrfToken: Type.Union([Type.String(), Type.Null()], {
    description: `Send as ${CSRF_HEADER} on state-changing requests made with the session cookie.`,
  }),
});
export const MeUnauthorizedSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
  sso: Type.Boolean(),
  loginUrl: Type.Union([Type.String(), Type.Null()]),
});
export const LogoutSchema = Type.Object({
  redirectTo: Type.String({ description: "Where the browser goes next: the provider's logout, or /." }),
});
export type Me = Static<typeof MeSchema>;
export type MeUnauthorized = Static<typeof MeUnauthorizedSchema>;
export type Logout = Static<typeof LogoutSchema>;
