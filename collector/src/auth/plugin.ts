/**
 * The auth plugin: decides per matched route what it needs, finds the principal (bearer token
 * or a resolver), checks Host and Origin, and refuses what the caller may not do. See index.ts
 * for the interface. Runs in onRequest: Fastify has routed the request by then (so the route
 * is the one the router matched, however the path was spelled) and no body has been read.
 */
import type { FastifyRequest, onRequestAsyncHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import { CollectorError } from '../errors.ts';
import { auditRecorder } from './audit.ts';
import { auditRoutes } from './audit-routes.ts';
import { hostChecker, isFormContentType, isLoopbackBind, originAllowed } from './request-checks.ts';
import { securityHeaders } from './headers.ts';
import { bearerToken, matchToken, tokenTable, type TokenEntry } from './tokens.ts';
import type { Access, AuditInput, AuthApi, IngestRefusal, Principal, PrincipalResolver, Role } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthApi;
  }
  interface FastifyRequest {
    /** Who is calling; null when nobody is authenticated or auth is off. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** What the route needs; see auth/index.ts. Undeclared: read for GET/HEAD, write otherwise. */
    access?: Access;
  }
}

/** Route options declaring what a route needs: `app.get(url, { ...routeAccess('public'), schema }, h)`. */
export const routeAccess = (access: Access): { config: { access: Access } } => ({ config: { access } });

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** API-like prefixes: an unmatched path under one of them is not a dashboard deep link. */
const RESERVED = /^\/(api|v1|docs|metrics|auth|healthz|readyz)(\/|$)/;
/** A plain dashboard path: letters, digits and `- _ . ~ /`, no dot segments. */
const PLAIN_PATH = /^\/[A-Za-z0-9._~/-]*$/;

/**
 * What a request that matched no route needs. A GET of a plain, non-API path is public: the
 * dashboard answers it with index.html (deep links) or a 404 naming a missing file, neither of
 * which holds data. Anything else (an API path spelled so that no route matches it, any other
 * method) needs `read`, so a 404 tells an unauthenticated caller nothing about what exists.
 */
function unmatchedAccess(req: FastifyRequest): Access {
  if (req.method !== 'GET' && req.method !== 'HEAD') return 'read';
  const raw = req.url.split('?')[0] ?? '';
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return 'read';
  }
  if (!PLAIN_PATH.test(path) || /(^|\/)\.\.?(\/|$)/.test(path) || path.includes('//')) return 'read';
  return RESERVED.test(path.toLowerCase()) ? 'read' : 'public';
}

/** What the matched route of this request needs (read/write by method when it declares nothing). */
export function accessOf(req: FastifyRequest): Access {
  if (req.is404) return unmatchedAccess(req);
  const declared = req.routeOptions.config.access;
  if (declared !== undefined) return declared;
  return SAFE_METHODS.has(req.method) ? 'read' : 'write';
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2 };

const unauthorized = (message = 'sign in or send Authorization: Bearer <token>'): CollectorError =>
  new CollectorError('UNAUTHORIZED', message);

/** Throws 401 (nobody) or 403 (role too low) when auth is on and the principal may not do this. */
export function requireRole(req: FastifyRequest, role: Role): void {
  if (!req.server.auth.enabled) return;
  const p = req.principal;
  if (p === null) throw unauthorized();
  if (RANK[p.role] < RANK[role]) {
    throw new CollectorError('FORBIDDEN', `${p.subject} (role ${p.role}) may not do this; it needs the ${role} role`);
  }
}

/** Routes exempt from the Host check: probes from an orchestrator use the pod's address, and answer nothing of value. */
const PROBES = new Set(['/healthz', '/readyz']);

interface Credential {
  /** A token that was presented; undefined when no bearer header was sent. */
  token: TokenEntry | undefined;
  /** A bearer header was sent but matched no token. */
  badToken: boolean;
}

export const authPlugin = fp(
  async (app) => {
    const { config } = app;
    // First: its onRequest hook runs before the checks below, so refusals carry the headers too.
    await app.register(securityHeaders);
    const table = tokenTable(config);
    const roleTokens = table.filter((t) => t.kind === 'viewer' || t.kind === 'operator').length;
    const resolvers: PrincipalResolver[] = [];
    // publicUrl (single sign-on's base URL) names this collector: its host and origin are its own.
    // Its host joins the list only where a Host check runs anyway (a loopback bind, or allowedHosts set).
    const publicUrl = config.publicUrl === undefined ? undefined : new URL(config.publicUrl);
    const checkHost = hostChecker(
      config.host,
      publicUrl && (isLoopbackBind(config.host) || config.allowedHosts.length > 0)
        ? [...config.allowedHosts, publicUrl.hostname]
        : config.allowedHosts,
    );
    const allowedOrigins = new Set(config.allowedOrigins.map((o) => new URL(o).origin));
    if (publicUrl) allowedOrigins.add(publicUrl.origin);
    const refusals = new Counter({
      name: 'eventscope_http_refused_total',
      help: 'Requests refused by the auth checks, by reason (unauthorized, forbidden, host, origin, form_body).',
      labelNames: ['reason'],
      registers: [],
    });
    const audit = auditRecorder(app);
    // Registered before the metrics plugin (to see every route), so it cannot name it as a
    // dependency; the counters join its registry once the app is ready (app.ts registers both).
    app.addHook('onReady', (done) => {
      app.metrics.registerMetric(refusals);
      app.metrics.registerMetric(audit.failures);
      // What protects this collector, once, at start (token names and kinds only, never a token).
      app.log.info(
        {
          auth: api.enabled ? 'on' : 'off (open)',
          tokens: table.map((t) => `${t.name} (${t.kind})`),
          sessionResolvers: resolvers.length,
          hostCheck: checkHost === undefined ? 'off (not bound to loopback)' : 'on',
          allowedHosts: config.allowedHosts,
          allowedOrigins: config.allowedOrigins,
        },
        'auth',
      );
      done();
    });

    // Every route as declared, for the route inventory (tests walk it; a new route is covered by itself).
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });

    /** The ingest token check of the OTLP port's server and of the OTLP/gRPC receiver. */
    const ingestRefusal = (authorization: string | undefined): IngestRefusal | undefined => {
      if (!api.enabled) return undefined;
      const presented = bearerToken(authorization);
      const token = presented === undefined ? undefined : matchToken(table, presented);
      const kind = token?.kind;
      if (kind === 'ingest' || kind === 'operator') return undefined;
      refusals.inc({ reason: kind === undefined ? 'unauthorized' : 'forbidden' });
      if (kind !== undefined)
        return { status: 403, code: 'FORBIDDEN', message: `the ${kind} token may not send spans` };
      return {
        status: 401,
        code: 'UNAUTHORIZED',
        message:
          presented !== undefined ? 'wrong bearer token' : 'OTLP intake needs Authorization: Bearer <ingest token>',
      };
    };

    const api: AuthApi = {
      get enabled() {
        return table.length > 0 || resolvers.length > 0;
      },
      addResolver(resolver) {
        resolvers.push(resolver);
      },
      recordAudit: (req: FastifyRequest, entry: AuditInput) => audit.record(req, entry),
      routes: () =>
        routes.map((r) => {
          const methods = Array.isArray(r.method) ? r.method : [r.method];
          const declared = r.config?.access;
          return {
            methods: [...methods],
            url: r.url,
            access: declared ?? (methods.every((m) => SAFE_METHODS.has(m)) ? 'read' : 'write'),
          };
        }),
      ingestRefusal,
    };
    app.decorate('auth', api);
    app.decorateRequest('principal', null);

    // Ingest and metrics tokens alone would lock the API (no token could read it): a half-set config.
    app.addHook('onReady', (done) => {
      if (roleTokens === 0 && resolvers.length === 0 && table.length > 0) {
        const keys = [
          config.ingestToken && 'ingestToken (EVENTSCOPE_INGEST_TOKEN)',
          config.metricsToken && 'metricsToken (EVENTSCOPE_METRICS_TOKEN)',
        ]
          .filter(Boolean)
          .join(' and ');
        done(
          new CollectorError(
            'CONFIG_INVALID',
            `config ${keys} set without a viewer or operator token or SSO: the API would answer nobody; set tokens (EVENTSCOPE_TOKENS) or apiToken (EVENTSCOPE_API_TOKEN) too`,
          ),
        );
        return;
      }
      done();
    });

    const credential = (req: FastifyRequest): Credential => {
      const presented = bearerToken(req.headers.authorization);
      if (presented === undefined) return { token: undefined, badToken: false };
      const token = matchToken(table, presented);
      return { token, badToken: token === undefined };
    };

    const principalOf = async (req: FastifyRequest, cred: Credential): Promise<Principal | null> => {
      if (cred.token !== undefined) {
        const { kind, name } = cred.token;
        return kind === 'viewer' || kind === 'operator' ? { subject: name, role: kind, via: 'token' } : null;
      }
      if (cred.badToken) return null;
      for (const resolve of resolvers) {
        const p = await resolve(req);
        if (p !== null) return p;
      }
      return null;
    };

    interface Refusal {
      err: CollectorError;
      /** Label of the refusal counter and the audit row's result. */
      reason: string;
      challenge?: boolean;
    }

    /** Why this request may not go on, or undefined. Checks where it comes from, then who sends it. */
    const check = (req: FastifyRequest, access: Access, cred: Credential): Refusal | undefined => {
      if (checkHost !== undefined && !(access === 'public' && PROBES.has(req.routeOptions.url ?? ''))) {
        if (!checkHost(req.headers.host)) {
          return {
            reason: 'host',
            err: new CollectorError(
              'HOST_REFUSED',
              `Host ${JSON.stringify(req.headers.host ?? '')} is not one this collector answers to; add it to allowedHosts (EVENTSCOPE_ALLOWED_HOSTS)`,
            ),
          };
        }
      }
      if (!SAFE_METHODS.has(req.method) && access !== 'ingest') {
        const { origin, referer } = req.headers;
        if (!originAllowed(origin, referer, req.headers.host, allowedOrigins)) {
          return {
            reason: 'origin',
            err: new CollectorError(
              'ORIGIN_REFUSED',
              `a state change from ${JSON.stringify(origin ?? referer)} is refused: not this collector's origin; add it to allowedOrigins (EVENTSCOPE_ALLOWED_ORIGINS) if it should be`,
            ),
          };
        }
        if (access === 'write' && isFormContentType(req.headers['content-type'])) {
          return {
            reason: 'form_body',
            err: new CollectorError(
              'UNSUPPORTED_MEDIA_TYPE',
              'state changes take a JSON body or none; text/plain and form bodies are refused (cross-site forms can send them)',
            ),
          };
        }
      }
      if (!api.enabled || access === 'public') return undefined;

      const nobody = (message?: string): Refusal => ({
        reason: 'unauthorized',
        challenge: true,
        err: unauthorized(message),
      });
      if (cred.badToken) return nobody('wrong bearer token');
      const p = req.principal;
      const kind = cred.token?.kind;
      switch (access) {
        case 'ingest':
          // Tokens only: a browser session never sends spans.
          if (kind === 'ingest' || kind === 'operator') return undefined;
          if (kind === undefined) return nobody('OTLP intake needs Authorization: Bearer <ingest token>');
          break;
        case 'read':
          if (p !== null) return undefined;
          if (kind === 'metrics' && req.routeOptions.url === '/metrics') return undefined;
          if (kind === undefined) return nobody();
          break;
        case 'write':
          if (p?.role === 'operator') return undefined;
          if (p === null && kind === undefined) return nobody();
          break;
      }
      const who = p !== null ? `${p.subject} (role ${p.role})` : `the ${kind ?? ''} token`;
      const needs =
        access === 'write' ? 'the operator role' : access === 'ingest' ? 'the ingest token' : 'a viewer or operator';
      return { reason: 'forbidden', err: new CollectorError('FORBIDDEN', `${who} may not do this; it needs ${needs}`) };
    };

    // Refusals are answered here, not thrown: a route's own error handler (the OTLP receiver's)
    // would otherwise reshape them.
    app.addHook('onRequest', async (req, reply) => {
      const access = accessOf(req);
      const cred = credential(req);
      req.principal = await principalOf(req, cred);
      const refusal = check(req, access, cred);
      if (refusal === undefined) return;
      refusals.inc({ reason: refusal.reason });
      // A refused write is an audit log row too (who tried what, from where).
      if (access === 'write') await audit.refused(req, refusal.reason);
      if (refusal.challenge) void reply.header('www-authenticate', 'Bearer realm="eventscope"');
      const { err } = refusal;
      return reply.code(err.statusCode).send({ error: err.code, message: err.message, retryable: false });
    });

    // Every state change that got through is in the audit log, unless its handler wrote its own row.
    app.addHook('onResponse', async (req, reply) => {
      if (accessOf(req) !== 'write' || audit.seen(req)) return;
      const status = reply.statusCode;
      await audit.record(req, {
        action: audit.routeAction(req),
        target: audit.routeTarget(req),
        result: status < 400 ? 'ok' : `failed (HTTP ${status})`,
      });
    });

    /** The same checks on the OTLP port's own server: Host, then the ingest token. */
    const ingestGuard: onRequestAsyncHookHandler = async (req, reply) => {
      if (checkHost !== undefined && !checkHost(req.headers.host)) {
        refusals.inc({ reason: 'host' });
        return reply
          .code(403)
          .send({ error: 'HOST_REFUSED', message: 'this Host is not one this collector answers to' });
      }
      const refusal = ingestRefusal(req.headers.authorization);
      if (refusal === undefined) return;
      if (refusal.status === 401) void reply.header('www-authenticate', 'Bearer realm="eventscope"');
      return reply.code(refusal.status).send({ error: refusal.code, message: refusal.message });
    };
    app.decorate('otlpAuthGuard', ingestGuard);

    auditRoutes(app);
  },
  { name: 'auth' },
);

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for the OTLP port's server (traces/otlp-server.ts): Host check and ingest token. */
    otlpAuthGuard: onRequestAsyncHookHandler;
  }
}
