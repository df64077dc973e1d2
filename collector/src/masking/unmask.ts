/**
 * `?unmask=true` on a view of payloads or headers: the operator role only (a viewer gets 403,
 * nobody 401, when auth is on), and every use, allowed or refused, is an audit log row.
 */
import type { FastifyRequest } from 'fastify';
import { requireRole } from '../auth/index.ts';
import { CollectorError } from '../errors.ts';

/** The audit log action of an unmask. */
export const UNMASK_ACTION = 'unmask';

/**
 * Whether this request may see masked values in clear: false when it did not ask; true for an
 * operator (recorded); throws 401/403 otherwise (recorded as refused). `target` names what is
 * shown, e.g. `dlq=orders.dlq`.
 */
export async function unmaskRequested(
  req: FastifyRequest,
  unmask: boolean | undefined,
  target: string,
): Promise<boolean> {
  if (unmask !== true) return false;
  const detail = `${req.method} ${req.routeOptions.url ?? '-'}`;
  try {
    requireRole(req, 'operator');
  } catch (err) {
    const reason = err instanceof CollectorError && err.code === 'UNAUTHORIZED' ? 'unauthorized' : 'forbidden';
    await req.server.auth.recordAudit(req, { action: UNMASK_ACTION, target, result: `refused: ${reason}`, detail });
    throw err;
  }
  await req.server.auth.recordAudit(req, { action: UNMASK_ACTION, target, result: 'ok', detail });
  return true;
}
