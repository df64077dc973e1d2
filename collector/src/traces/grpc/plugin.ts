/**
 * The OTLP/gRPC capability: `app.otlpGrpc`, a TraceService/Export receiver feeding the same
 * intake queue as the OTLP/HTTP receivers. The app builds it; server.ts makes it listen on
 * `otlpGrpcPort` (0: off), and the app's close closes it, so tests that build the app and call
 * `listen` get the production shutdown path.
 */
import fp from 'fastify-plugin';
import { createGrpcReceiver, type GrpcReceiver } from './receiver.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The OTLP/gRPC receiver: `listen(host, port)` to serve it (server.ts does, on otlpGrpcPort). */
    otlpGrpc: GrpcReceiver;
  }
}

export const otlpGrpcPlugin = fp(
  (app, _opts, done) => {
    const receiver = createGrpcReceiver({
      ...app.otlpReceiverOptions,
      ingestRefusal: (authorization) => app.auth.ingestRefusal(authorization),
      log: app.log.child({ listener: 'otlp-grpc' }),
    });
    app.decorate('otlpGrpc', receiver);
    // Before the traces plugin's preClose closes the intake queue would be better still; server.ts
    // closes this first. Here it is the backstop: an app closed without server.ts (tests) leaves no
    // port open. Calls that arrive while the queue is closed are refused with UNAVAILABLE + retry.
    app.addHook('preClose', async () => {
      await receiver.close();
    });
    done();
  },
  { name: 'otlp-grpc', dependencies: ['traces', 'auth'] },
);
