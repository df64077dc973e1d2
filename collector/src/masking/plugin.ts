/** Masking capability: `app.masking`, built once from the config (`maskFields`, `maskHeaders`). */
import fp from 'fastify-plugin';
import { Masking } from './masking.ts';

declare module 'fastify' {
  interface FastifyInstance {
    masking: Masking;
  }
}

export const maskingPlugin = fp(
  (app, _opts, done) => {
    app.decorate('masking', new Masking(app.config.maskFields, app.config.maskHeaders));
    done();
  },
  { name: 'masking', dependencies: ['auth'] },
);
