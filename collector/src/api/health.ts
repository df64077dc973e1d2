import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { dict } from '../lib/safe-map.ts';

export interface ReadinessCheck {
  name: string;
  /** Resolves to undefined when ready, or to a reason why not. */
  check: () => Promise<string | undefined> | string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Capabilities add what /readyz must wait for. */
    addReadinessCheck(check: ReadinessCheck): void;
  }
}

const Health = Type.Object({ status: Type.String() });
const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Record(Type.String(), Type.String()),
});

/** `/healthz`: the process serves requests. `/readyz`: every capability is ready. Both public (probes send no token). */
export const healthPlugin = fp(
  (app, _opts, done) => {
    const checks: ReadinessCheck[] = [];
    app.decorate('addReadinessCheck', (check: ReadinessCheck) => {
      checks.push(check);
    });
    app.get(
      '/healthz',
      { config: { access: 'public' }, schema: { tags: ['health'], response: { 200: Health } } },
      () => ({ status: 'ok' }),
    );
    app.get(
      '/readyz',
      { config: { access: 'public' }, schema: { tags: ['health'], response: { 200: Ready, 503: Ready } } },
      async (_req, reply) => {
        const results = dict<string>();
        let ready = true;
        for (const c of checks) {
          const reason = await c.check();
          results[c.name] = reason ?? 'ok';
          if (reason !== undefined) ready = false;
        }
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
      },
    );
    done();
  },
  { name: 'health' },
);
