/**
 * Shapes of the auth capability, shared with the code that plugs into it (oidc.ts's session
 * resolver, routes that declare what they need, the audit recorder's callers).
 */
import type { FastifyRequest } from 'fastify';

/** viewer reads; operator reads and changes state (DLQ mark, redrive). */
export type Role = 'viewer' | 'operator';
export const ROLES: readonly Role[] = ['viewer', 'operator'];

/**
 * What a route needs:
 * - `public`: anyone (health probes, the dashboard's files and deep-link fallback, /auth/*);
 * - `read`: a viewer or operator (data GETs under /api, SSE, /docs, /metrics);
 * - `write`: an operator (state changes under /api);
 * - `ingest`: the ingest token or an operator (OTLP /v1/traces on both ports).
 */
export type Access = 'public' | 'read' | 'write' | 'ingest';
export const ACCESS_LEVELS: readonly Access[] = ['public', 'read', 'write', 'ingest'];

/** Who is calling. `null` on the request: nobody (or auth is off). */
export interface Principal {
  /** A token's configured name, or the OpenID Connect subject / user name of a session. */
  subject: string;
  role: Role;
  via: 'token' | 'session';
}

/**
 * Finds the principal of a request from something other than a bearer token (a session
 * cookie). Return null when the request carries nothing this resolver knows. Throw a
 * CollectorError (e.g. `FORBIDDEN` for a missing CSRF token on a write) to refuse it.
 */
export type PrincipalResolver = (req: FastifyRequest) => Principal | null | Promise<Principal | null>;

/** One audit log row as a caller describes it; who, when and from where are filled in. */
export interface AuditInput {
  /** What was done, e.g. `dlq.mark`, `dlq.redrive`; refused requests: `METHOD /route/url`. */
  action: string;
  /** What it was done to, e.g. the DLQ topic. */
  target: string;
  /** `ok`, or why not: `unauthorized`, `forbidden`, `origin_refused`, `failed`, ... */
  result: string;
  /** Optional detail (counts, a reason), short. */
  detail?: string;
}

/** What `app.auth` offers other capabilities. */
export interface AuthApi {
  /** True when any token is configured or a resolver was added: non-public routes need a principal. */
  readonly enabled: boolean;
  /** Adds a session (or other) resolver, tried in order after the bearer token. Turns auth on. */
  addResolver(resolver: PrincipalResolver): void;
  /** Writes an audit log row for this request (principal, address, user agent, time filled in). */
  recordAudit(req: FastifyRequest, entry: AuditInput): Promise<void>;
  /** Every route of the app with what it needs (declared, or by method), for tests and docs. */
  routes(): { methods: string[]; url: string; access: Access }[];
  /**
   * Why an OTLP export with this `Authorization` value may not send spans, or undefined when it
   * may (auth off, the ingest token, an operator token). For receivers outside Fastify (OTLP/gRPC:
   * the `authorization` metadata); counted in `eventscope_http_refused_total` like the others.
   */
  ingestRefusal(authorization: string | undefined): IngestRefusal | undefined;
}

/** An OTLP export refused by `ingestRefusal`: no or a wrong token (401), or a token of another kind (403). */
export interface IngestRefusal {
  status: 401 | 403;
  code: 'UNAUTHORIZED' | 'FORBIDDEN';
  message: string;
}
