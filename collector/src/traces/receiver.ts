/**
 * OTLP/HTTP trace receiver: `POST /v1/traces`, JSON or protobuf, optionally gzip. Registered
 * on the main app and on the OTLP port's own small server, both feeding one intake queue.
 * An encapsulated plugin: its body parsers and error handler do not leak into the app.
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { Type } from 'typebox';
import type { IntakeQueue } from './intake.ts';
import { decodeJsonRequest, encodeJsonResponse } from './otlp/json.ts';
import { encodeProtobufResponse, encodeProtobufStatus, RPC_CODE } from './otlp/protobuf.ts';
import { decodeProtobufSpans } from './otlp/protobuf-spans.ts';
import { MalformedExport, toSpans } from './otlp/wire.ts';
import type { DecodedExport } from './span.ts';

const gunzip = promisify(gunzipCb);

export interface ReceiverMetrics {
  accepted: Counter<string>;
  rejected: Counter<'reason'>;
  requests: Counter<'encoding' | 'code'>;
}

export interface ReceiverOptions {
  intake: IntakeQueue;
  bodyLimit: number;
  metrics: ReceiverMetrics;
  /** Spans must start no earlier than this before now (the store's retention: older is deleted anyway). */
  maxAgeMs: number;
  /** ... and end no later than this after now (clock skew); later spans pinned their sagas to the top. */
  maxFutureMs: number;
}

/**
 * Keeps the spans whose start and end lie in [now - maxAgeMs, now + maxFutureMs]; the others are
 * rejected (counted in `decoded`, reported in partialSuccess). A span dated in the year 2500 or at
 * u64 max nanoseconds stayed in_flight at the top of the saga list forever, and the cursor after it
 * was past what the store could page from.
 */
export function rejectOutsideWindow(
  decoded: DecodedExport,
  nowMs: number,
  window: { maxAgeMs: number; maxFutureMs: number },
): number {
  const minUs = (nowMs - window.maxAgeMs) * 1000;
  const maxUs = (nowMs + window.maxFutureMs) * 1000;
  const kept = decoded.spans.filter((s) => s.startUs >= minUs && s.endUs <= maxUs);
  const dropped = decoded.spans.length - kept.length;
  if (dropped > 0) {
    decoded.spans = kept;
    decoded.rejected += dropped;
    decoded.rejectReason ??= `span with a start or end outside ${new Date(minUs / 1000).toISOString()} .. ${new Date(maxUs / 1000).toISOString()} (at most ${window.maxAgeMs / 3_600_000} h old, ${window.maxFutureMs / 1000} s ahead of the collector's clock)`;
  }
  return dropped;
}

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

/**
 * Who sent an export, for the intake queue's fair shares: the service.name of its (first)
 * resource, or the remote address when the exporter did not name its service.
 */
export function clientOf(decoded: DecodedExport, remoteAddress: string): string {
  const service = decoded.spans[0]?.service;
  return service !== undefined && service !== 'unknown_service' ? `service ${service}` : `address ${remoteAddress}`;
}

export function otlpReceiver(app: FastifyInstance, opts: ReceiverOptions, done: (err?: Error) => void): void {
  const { intake, bodyLimit, metrics } = opts;
  /** Spans of the last request refused for room, per remote address (until one from there is taken). */
  const refusedByAddress = new Map<string, number>();

  /** An error in the request's own encoding: google.rpc.Status for protobuf, JSON otherwise. */
  const fail = (req: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply => {
    const enc = encodingOf(req) ?? 'json';
    metrics.requests.inc({ encoding: enc, code: String(status) });
    if (status === 503) void reply.header('retry-after', '1');
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
      // auth/: the ingest token (or an operator token) when auth is on; no Origin check.
      config: { access: 'ingest' },
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
      // While a request like the last one refused from this address cannot fit, refuse before
      // inflating and decoding (its spans are unknown, so only the request is counted); `offer`
      // below decides exactly. Per address: a flooder's big requests must not refuse the others here.
      const lastRefused = refusedByAddress.get(req.ip);
      if (intake.wouldRefuse(lastRefused ?? 0)) {
        return fail(req, reply, 503, `intake queue full (${intake.limit} spans); retry later`);
      }
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
      const outside = rejectOutsideWindow(decoded, Date.now(), opts);
      const client = clientOf(decoded, req.ip);
      if (!intake.offer(decoded.spans, client)) {
        // Remembered only for a client known by its address alone: services sharing an address (an
        // agent, one host) cannot be told apart before decoding, and one must not refuse the others.
        if (client === `address ${req.ip}`) {
          if (refusedByAddress.size >= 10_000) refusedByAddress.clear(); // bounded: addresses are many
          refusedByAddress.set(req.ip, decoded.spans.length);
        }
        if (intake.lastRefusal === 'share') {
          metrics.rejected.inc({ reason: 'fair_share' }, decoded.spans.length);
          return fail(
            req,
            reply,
            503,
            `intake queue under pressure and ${client} holds ${intake.heldBy(client)} spans, more than its fair share (${intake.fairShare(client)}); retry later`,
          );
        }
        metrics.rejected.inc({ reason: 'queue_full' }, decoded.spans.length);
        return fail(req, reply, 503, `intake queue full (${intake.limit} spans); retry later`);
      }
      refusedByAddress.delete(req.ip);
      metrics.accepted.inc(decoded.spans.length);
      if (outside > 0) metrics.rejected.inc({ reason: 'time_window' }, outside);
      if (decoded.rejected > outside) metrics.rejected.inc({ reason: 'invalid' }, decoded.rejected - outside);
      metrics.requests.inc({ encoding: enc, code: '200' });
      if (enc === 'protobuf') {
        return reply
          .type('application/x-protobuf')
          .send(Buffer.from(encodeProtobufResponse(decoded.rejected, decoded.rejectReason)));
      }
      return reply.type('application/json').send(encodeJsonResponse(decoded.rejected, decoded.rejectReason));
    },
  );
  done();
}
