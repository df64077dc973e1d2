/**
 * OTLP/HTTP trace receiver: `POST /v1/traces`, JSON or protobuf, optionally gzip. Registered
 * on the main app and on the OTLP port's own small server, both feeding one intake queue.
 * An encapsulated plugin: its body parsers and error handler do not leak into the app.
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ExportAdmission, RETRY_AFTER_SECONDS, type ReceiverOptions } from './admission.ts';
import { decodeJsonRequest, encodeJsonResponse } from './otlp/json.ts';
import { encodeProtobufResponse, encodeProtobufStatus, RPC_CODE } from './otlp/protobuf.ts';
import { decodeProtobufSpans } from './otlp/protobuf-spans.ts';
import { MalformedExport, toSpans } from './otlp/wire.ts';

const gunzip = promisify(gunzipCb);

type Encoding = 'json' | 'protobuf';

const JSON_TYPES = new Set(['application/json']);
const PROTO_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);

function encodingOf(req: FastifyRequest): Encoding | undefined {
  const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (JSON_TYPES.has(ct)) return 'json';
  if (PROTO_TYPES.has(ct)) return 'protobuf';
  return undefined;
}

const GRPC_FOR_STATUS: Record<number, number> = {
  400: RPC_CODE.INVALID_ARGUMENT,
  413: RPC_CODE.RESOURCE_EXHAUSTED,
  415: RPC_CODE.INVALID_ARGUMENT,
  503: RPC_CODE.UNAVAILABLE,
};

const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'OVERLOADED',
};

export function otlpReceiver(app: FastifyInstance, opts: ReceiverOptions, done: (err?: Error) => void): void {
  const { bodyLimit, metrics } = opts;
  const admission = new ExportAdmission(opts);

  /** An error in the request's own encoding: google.rpc.Status for protobuf, JSON otherwise. */
  const fail = (req: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply => {
    const enc = encodingOf(req) ?? 'json';
    metrics.requests.inc({ encoding: enc, code: String(status) });
    if (status === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    void reply.code(status);
    if (enc === 'protobuf') {
      return reply
        .type('application/x-protobuf')
        .send(Buffer.from(encodeProtobufStatus(GRPC_FOR_STATUS[status] ?? RPC_CODE.INTERNAL, message)));
    }
    return reply.type('application/json').send({ error: CODES[status] ?? 'INTERNAL', message });
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, parsed) => parsed(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) return fail(req, reply, 413, `body larger than ${bodyLimit} bytes`);
    if (status === 415) return fail(req, reply, 415, err.message);
    if (status < 500) return fail(req, reply, 400, err.message);
    req.log.error({ err }, 'OTLP receiver failed');
    metrics.requests.inc({ encoding: encodingOf(req) ?? 'json', code: '500' });
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the collector log' });
  });

  app.post(
    '/v1/traces',
    {
      // auth/: the ingest token (or an operator token) when auth is on; no Origin check. No
      // security headers: the answers go to exporters, never to a browser, and @fastify/helmet
      // builds its middleware per request (0.36 ms, 3% of the main thread's ingest CPU).
      config: { access: 'ingest', helmet: { skipRoute: true } },
      schema: {
        tags: ['otlp'],
        summary: 'OTLP/HTTP trace export (application/json or application/x-protobuf, optionally gzip)',
        headers: Type.Object({
          'content-type': Type.Optional(Type.String()),
          'content-encoding': Type.Optional(Type.String()),
        }),
      },
    },
    async (req, reply) => {
      const enc = encodingOf(req);
      if (!enc) {
        return fail(
          req,
          reply,
          415,
          `unsupported content type '${req.headers['content-type'] ?? ''}'; use application/json or application/x-protobuf`,
        );
      }
      // Refused before inflating and decoding while a request like the last one refused from this
      // address cannot fit (admission.ts).
      const early = admission.refuseEarly(req.ip);
      if (early !== undefined) return fail(req, reply, 503, early);
      let body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const ce = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (ce === 'gzip') {
        try {
          // Inflate at most bodyLimit bytes: a zip bomb stops here.
          body = await gunzip(body, { maxOutputLength: bodyLimit });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
            return fail(req, reply, 413, `body larger than ${bodyLimit} bytes after gzip decompression`);
          }
          return fail(req, reply, 400, `body is not valid gzip: ${e.message}`);
        }
      } else if (ce !== 'identity') {
        return fail(req, reply, 415, `unsupported content encoding '${ce}'; use gzip or none`);
      }
      let decoded;
      try {
        // protobuf goes straight to domain spans; JSON.parse's objects through toSpans.
        decoded = enc === 'json' ? toSpans(decodeJsonRequest(body)) : decodeProtobufSpans(body);
      } catch (err) {
        if (err instanceof MalformedExport) return fail(req, reply, 400, err.message);
        throw err;
      }
      const outcome = admission.admit(decoded, req.ip);
      if (!outcome.accepted) return fail(req, reply, 503, outcome.message);
      metrics.requests.inc({ encoding: enc, code: '200' });
      if (enc === 'protobuf') {
        return reply
          .type('application/x-protobuf')
          .send(Buffer.from(encodeProtobufResponse(outcome.rejected, outcome.rejectReason)));
      }
      return reply.type('application/json').send(encodeJsonResponse(outcome.rejected, outcome.rejectReason));
    },
  );
  done();
}
