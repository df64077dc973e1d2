/**
 * The audit log recorder: one store row per state change (and per refused attempt), with who
 * (the principal, or "anonymous"), what, on what, the result, when, and from where (remote
 * address, user agent). Recording never fails the request: a store error is logged and counted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import type { AuditInput } from './types.ts';

/** Longest stored text per field: the fields come from outside (paths, user agents). */
const MAX_FIELD = 256;
/** Refused attempts recorded per minute at most: anyone can send them, the log must not drown. */
const REFUSED_PER_MINUTE = 60;

const clip = (s: string): string => (s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD - 1)}…` : s);

export interface AuditRecorder {
  /** Rows not written, by reason; joins the app's registry once it exists (auth/plugin.ts). */
  failures: Counter<'reason'>;
  record(req: FastifyRequest, entry: AuditInput): Promise<void>;
  /** A refused write (401/403/415): recorded up to REFUSED_PER_MINUTE a minute. */
  refused(req: FastifyRequest, reason: string): Promise<void>;
  /** Whether this request already has its row. */
  seen(req: FastifyRequest): boolean;
  /** `POST /api/dlqs/:topic/mark`: the method and the route as declared (not as spelled). */
  routeAction(req: FastifyRequest): string;
  /** The route's params and the Kafka cluster asked for, `topic=payments.dlq cluster=us`, or `-`. */
  routeTarget(req: FastifyRequest): string;
}

export function auditRecorder(app: FastifyInstance): AuditRecorder {
  const recorded = new WeakSet<FastifyRequest>();
  const failures = new Counter({
    name: 'eventscope_audit_failures_total',
    help: 'Audit log rows that could not be written (store error), or were dropped: refused attempts over 60 a minute.',
    labelNames: ['reason'],
    registers: [],
  });
  let bucket = REFUSED_PER_MINUTE;
  let bucketAt = Date.now();

  const record = async (req: FastifyRequest, entry: AuditInput): Promise<void> => {
    recorded.add(req);
    const p = req.principal;
    const ua = req.headers['user-agent'];
    try {
      await app.store.addAuditEntry({
        timeUs: Date.now() * 1000,
        subject: clip(p?.subject ?? 'anonymous'),
        role: p?.role ?? null,
        via: p?.via ?? null,
        action: clip(entry.action),
        target: clip(entry.target),
        result: clip(entry.result),
        detail: entry.detail === undefined ? null : clip(entry.detail),
        remoteAddress: req.ip,
        userAgent: ua === undefined ? null : clip(ua),
      });
    } catch (err) {
      failures.inc({ reason: 'store' });
      req.log.error({ err, action: entry.action }, 'could not write the audit log row');
    }
  };

  const routeAction = (req: FastifyRequest): string => `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
  const routeTarget = (req: FastifyRequest): string => {
    const params = req.params;
    const parts =
      typeof params === 'object' && params !== null
        ? Object.entries(params as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`)
        : [];
    // `?cluster=`: a DLQ of the same name on two Kafka clusters is two DLQs (docs/clusters.md).
    const query: unknown = req.query;
    const cluster =
      typeof query === 'object' && query !== null && Object.hasOwn(query, 'cluster')
        ? (query as { cluster: unknown }).cluster
        : undefined;
    if (typeof cluster === 'string') parts.push(`cluster=${cluster}`);
    return parts.length > 0 ? parts.join(' ') : '-';
  };

  return {
    failures,
    record,
    async refused(req, reason) {
      const now = Date.now();
      bucket = Math.min(REFUSED_PER_MINUTE, bucket + ((now - bucketAt) / 60_000) * REFUSED_PER_MINUTE);
      bucketAt = now;
      if (bucket < 1) {
        recorded.add(req);
        failures.inc({ reason: 'refused_rate' });
        return;
      }
      bucket -= 1;
      await record(req, { action: routeAction(req), target: routeTarget(req), result: `refused: ${reason}` });
    },
    seen: (req) => recorded.has(req),
    routeAction,
    routeTarget,
  };
}
