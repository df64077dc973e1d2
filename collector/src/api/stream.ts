import { EventEmitter } from 'node:events';
import fp from 'fastify-plugin';
import type { Static } from 'typebox';
import type { SagaEventSchema, SnapshotEventSchema } from './schemas.ts';

/** What changed, for live views. Payloads are small: clients refetch what they show. */
export interface LiveEvents {
  snapshot: Static<typeof SnapshotEventSchema>;
  saga: Static<typeof SagaEventSchema>;
  /** A saga reached a terminal outcome (or was found stuck); feeds the overview's series. Not relayed over SSE. */
  sagaEnded: { at: number; correlationId: string; sagaType: string; outcome: string; endToEndMs: number | null };
}

export type LiveEventName = keyof LiveEvents;

export interface LiveBus {
  emit<K extends LiveEventName>(name: K, payload: LiveEvents[K]): void;
  on<K extends LiveEventName>(name: K, listener: (payload: LiveEvents[K]) => void): () => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Capabilities announce changes here; GET /api/stream relays them as server-sent events. */
    live: LiveBus;
  }
}

/** Coalesces bursts: at most one `saga` event per correlation id per this many ms. */
const SAGA_COALESCE_MS = 250;
const HEARTBEAT_MS = 15_000;

export const streamPlugin = fp(
  (app, _opts, done) => {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    const bus: LiveBus = {
      emit: (name, payload) => {
        emitter.emit(name, payload);
      },
      on: (name, listener) => {
        emitter.on(name, listener);
        return () => emitter.off(name, listener);
      },
    };
    app.decorate('live', bus);
    // Open streams, ended when the app closes so shutdown does not wait on them.
    const open = new Set<() => void>();
    // preClose, not onClose: the server waits for open connections before onClose hooks run.
    app.addHook('preClose', (hookDone) => {
      for (const end of open) end();
      hookDone();
    });

    app.get(
      '/api/stream',
      { schema: { tags: ['live'], description: 'Server-sent events: `snapshot` and `saga`.' } },
      (req, reply) => {
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write('retry: 3000\n\n');
        const send = (event: string, data: unknown): void => {
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        const lastSaga = new Map<string, number>();
        const offSnapshot = bus.on('snapshot', (p) => send('snapshot', p));
        const offSaga = bus.on('saga', (p) => {
          const now = Date.now();
          if ((lastSaga.get(p.correlationId) ?? 0) + SAGA_COALESCE_MS > now) return;
          lastSaga.set(p.correlationId, now);
          if (lastSaga.size > 10_000) lastSaga.clear();
          send('saga', p);
        });
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        const close = (): void => {
          clearInterval(heartbeat);
          offSnapshot();
          offSaga();
          open.delete(end);
        };
        const end = (): void => {
          close();
          res.end();
        };
        open.add(end);
        req.raw.on('close', close);
      },
    );
    done();
  },
  { name: 'live' },
);
