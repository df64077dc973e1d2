/**
 * Auth capability: who is calling (`req.principal`), what each route needs, Host/Origin
 * checks, security headers and the audit log of state changes.
 *
 * Interface for other code (e.g. oidc.ts):
 *
 *   type Role = 'viewer' | 'operator'
 *   type Access = 'public' | 'read' | 'write' | 'ingest'
 *   interface Principal { subject: string; role: Role; via: 'token' | 'session' }
 *
 *   req.principal: Principal | null
 *     Set in an onRequest hook, after Fastify has routed the request and before any handler,
 *     preHandler or body parser runs. null when nobody is authenticated (or auth is off).
 *
 *   app.auth.addResolver((req) => Principal | null | Promise<Principal | null>)
 *     Call while the app is being built (e.g. from oidc.ts's plugin). Resolvers are tried in
 *     order when the request carries no `Authorization: Bearer` header (a bearer header is
 *     decided by the token alone: a wrong token is 401 even with a valid session). Return null
 *     for "not mine"; throw a CollectorError to refuse (e.g. FORBIDDEN when a session-
 *     authenticated write lacks its CSRF token: `req.method`, `routeAccess(req)` tell you).
 *     Adding a resolver turns auth on (`app.auth.enabled`).
 *
 *   routeAccess(level) -> { config: { access: level } }
 *     Spread into route options: `app.get('/auth/me', { ...routeAccess('public'), schema }, h)`.
 *     A route that declares nothing needs `read` for GET/HEAD and `write` otherwise, so a
 *     forgotten declaration fails closed. The level of a request: `accessOf(req)`.
 *
 *   requireRole(req, role)
 *     Throws 401 UNAUTHORIZED (nobody) or 403 FORBIDDEN (role too low) when auth is on.
 *
 *   app.auth.ingestRefusal(authorization) -> { status: 401 | 403, code, message } | undefined
 *     The ingest check for receivers outside Fastify (traces/grpc/: the `authorization`
 *     metadata): undefined when the value may send spans (auth off, the ingest token, an
 *     operator token). Counted in eventscope_http_refused_total like the HTTP refusals.
 *
 *   app.auth.recordAudit(req, { action, target, result, detail? })
 *     One audit log row (principal or "anonymous", role, remote address, user agent, time
 *     filled in). Successful `write` routes are recorded automatically after the response
 *     (action `METHOD /route/url`, target from the route params) unless the handler recorded
 *     its own row; refused writes (401/403) are recorded by the auth hook.
 */
export type { Access, AuditInput, AuthApi, IngestRefusal, Principal, PrincipalResolver, Role } from './types.ts';
export { ACCESS_LEVELS, ROLES } from './types.ts';
export { accessOf, authPlugin, requireRole, routeAccess } from './plugin.ts';
export { swaggerUiCsp } from './headers.ts';
export { AuditLogEntrySchema, AuditLogSchema, type AuditLog, type AuditLogEntry } from './schemas.ts';
