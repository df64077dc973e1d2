/**
 * Router errors (Fastify's `frameworkErrors`): a request the router refuses before any route
 * runs, answered in the collector's error shape. Fastify's own answer to a path parameter longer
 * than maxParamLength was 414 with its internal code; an id that long is a bad request.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ID_MAX_LENGTH, MAX_PATH_PARAM_LENGTH } from '../flows/schemas.ts';

export function routerErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(400).send({
      error: 'BAD_REQUEST',
      message: `a path parameter is longer than ${MAX_PATH_PARAM_LENGTH} characters (ids: at most ${ID_MAX_LENGTH}, percent-encoded at most ${MAX_PATH_PARAM_LENGTH})`,
    });
    return;
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    void reply.code(400).send({ error: 'BAD_REQUEST', message: 'the path is not valid percent-encoding' });
    return;
  }
  const status = err.statusCode ?? 500;
  void reply.code(status).send({ error: status < 500 ? 'BAD_REQUEST' : 'INTERNAL', message: err.message });
}
