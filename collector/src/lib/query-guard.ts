/**
 * Numeric query parameters that overflow to Infinity. Fastify's Ajv coerces a query string such
 * as `1e400` or `Infinity` to Infinity and lets it pass `integer` with a `maximum` (measured:
 * `rangeSeconds=1e400` passed `{ type: 'integer', maximum: 3600 }`), so a route got Infinity: the
 * response serializer threw (/api/flows, /api/overview) and SQLite refused it (/api/audit), all
 * 500s. Every route whose query schema has integer or number properties checks them first.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface QuerySchema {
  properties?: Record<string, { type?: unknown; anyOf?: { type?: unknown }[] }>;
}

const numeric = (s: { type?: unknown; anyOf?: { type?: unknown }[] } | undefined): boolean =>
  s?.type === 'integer' || s?.type === 'number' || (s?.anyOf ?? []).some(numeric);

/** Adds, to every route declared from now on, a check that its numeric query parameters are finite. */
export function guardNumericQueries(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema?.querystring as QuerySchema | undefined;
    const names = Object.entries(schema?.properties ?? {})
      .filter(([, s]) => numeric(s))
      .map(([name]) => name);
    if (names.length === 0) return;
    const check = (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
      const query = req.query as Record<string, unknown>;
      for (const name of names) {
        if (!Object.hasOwn(query, name)) continue;
        const value = query[name];
        for (const v of Array.isArray(value) ? value : [value]) {
          if (typeof v === 'string' && Math.abs(Number(v)) === Infinity) {
            done(
              Object.assign(new Error(`query parameter ${name} '${v.slice(0, 40)}' is not a finite number`), {
                statusCode: 400,
              }),
            );
            return;
          }
        }
      }
      done();
    };
    const existing = route.preValidation;
    route.preValidation =
      existing === undefined ? [check] : [check, ...(Array.isArray(existing) ? existing : [existing])];
  });
}
