/**
 * The OTLP/gRPC capability: `app.otlpGrpc`, a TraceService/Export receiver feeding the same
 * intake queue as the OTLP/HTTP receivers. The app builds it; server.ts makes it listen on
 * `otlpGrpcPort` (0: off), and the app's close closes it, so tests that build the app and call
 * `listen` get the production shutdown path. /readyz reports it as `otlp-grpc`: not ready while
 * binding, after a failed bind and once closed; ready when listening or never asked to listen.
 */
import fp from 'fastify-plugin';
import { createGrpcReceiver, type GrpcReceiver } from './receiver.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The OTLP/gRPC receiver: `listen(host, port)` to serve it (server.ts does, on otlpGrpcPort). */
    otlpGrpc: GrpcReceiver;
  }
}

type State = 'off' | 'binding' | 'listening' | 'failed' | 'closed';

/** Why /readyz says not ready, per state (none: ready, also when gRPC is off). */
const NOT_READY = new Map<State, string>([
  ['binding', 'binding its port'],
  ['failed', 'could not bind its port'],
  ['closed', 'closed (shutting down)'],
]);

export const otlpGrpcPlugin = fp(
  (app, _opts, done) => {
    const inner = createGrpcReceiver({
      ...app.otlpReceiverOptions,
      ingestRefusal: (authorization) => app.auth.ingestRefusal(authorization),
      log: app.log.child({ listener: 'otlp-grpc' }),
    });
    let state: State = 'off';
    const receiver: GrpcReceiver = {
      get port() {
        return inner.port;
      },
      async listen(host, port) {
        state = 'binding';
        try {
          const bound = await inner.listen(host, port);
          state = 'listening';
          return bound;
        } catch (err) {
          state = 'failed';
          throw err;
        }
      },
      async close() {
        if (state !== 'off') state = 'closed';
        await inner.close();
      },
    };
    app.addReadinessCheck({ name: 'otlp-grpc', check: () => NOT_READY.get(state) });
    app.decorate('otlpGrpc', receiver);
    // Before the traces plugin's preClose closes the intake queue would be better still; server.ts
    // closes this first. Here it is the backstop: an app closed without server.ts (tests) leaves no
    // port open. Calls that arrive while the queue is closed are refused with UNAVAILABLE + retry.
    app.addHook('preClose', async () => {
      await receiver.close();
    });
    done();
  },
  { name: 'otlp-grpc', dependencies: ['traces', 'auth', 'health'] },
);
