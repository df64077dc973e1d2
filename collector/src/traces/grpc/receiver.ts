/**
 * OTLP/gRPC trace receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on its
 * own port (the standard 4317), with @grpc/grpc-js. The service is declared with identity
 * (de)serializers, so the request's raw bytes reach the fast decoder (otlp/protobuf-spans.ts)
 * and the response is encoded by otlp/protobuf.ts: no second protobuf schema, no intermediate
 * message objects. What happens to the spans is the HTTP receiver's (admission.ts: time window,
 * queue room, fair shares, counters); the statuses are the OTLP/gRPC specification's:
 *
 * - a request that is not an ExportTraceServiceRequest: INVALID_ARGUMENT with the reason;
 * - invalid or out-of-window spans: OK with `partial_success` (rejected_spans, error_message);
 * - larger than `bodyLimitBytes`, also after gzip inflation: RESOURCE_EXHAUSTED (from grpc-js,
 *   before the message is buffered or inflated past the limit), without RetryInfo: retrying
 *   the same request cannot help;
 * - the intake queue full or closing: UNAVAILABLE, and a client over its fair share of a queue
 *   under pressure: RESOURCE_EXHAUSTED, both with a google.rpc.RetryInfo (grpc/status.ts), so
 *   exporters back off and retry (OTLP: RESOURCE_EXHAUSTED is retryable only with RetryInfo);
 * - no or a wrong ingest token when auth is on: UNAUTHENTICATED, a token of another kind:
 *   PERMISSION_DENIED, decided on the metadata before the message is read.
 *
 * gzip (and deflate) request compression is grpc-js's own (`grpc-encoding`). No Host check as on
 * the HTTP ports: that one stops DNS rebinding from browsers, and a browser cannot speak gRPC
 * (HTTP/2 with trailers) to a plaintext port.
 */
import * as grpc from '@grpc/grpc-js';
import type { FastifyBaseLogger } from 'fastify';
import type { IngestRefusal } from '../../auth/index.ts';
import { ExportAdmission, RETRY_AFTER_SECONDS, type ReceiverOptions } from '../admission.ts';
import { encodeProtobufResponse, TRACE_EXPORT_PATH } from '../otlp/protobuf.ts';
import { decodeProtobufSpans } from '../otlp/protobuf-spans.ts';
import { MalformedExport } from '../otlp/wire.ts';
import { encodeStatusWithRetry, STATUS_DETAILS_KEY } from './status.ts';

const identity = (bytes: Buffer): Buffer => bytes;

/** TraceService as grpc-js serves it: one unary method whose request and response stay bytes. */
const traceService: grpc.ServiceDefinition<grpc.UntypedServiceImplementation> = {
  Export: {
    path: TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'export',
  },
};

export interface GrpcReceiverOptions extends ReceiverOptions {
  /** The ingest token check (app.auth.ingestRefusal): why a caller may not send spans, or undefined. */
  ingestRefusal: (authorization: string | undefined) => IngestRefusal | undefined;
  log: FastifyBaseLogger;
  /** How long `close` lets running exports finish before it cuts the connections. Default 5 s. */
  closeGraceMs?: number;
}

export interface GrpcReceiver {
  /** Binds `host:port` (port 0: a free one; no host: localhost, as Fastify's listen) and serves; resolves to the port bound. */
  listen(host: string | undefined, port: number): Promise<number>;
  /** The port bound, or undefined before `listen` (or after `close`). */
  readonly port: number | undefined;
  /** Stops taking calls, lets running ones finish (up to the grace time), closes. Safe to call twice. */
  close(): Promise<void>;
}

/** The remote address of a grpc-js peer string (`1.2.3.4:5678`, `[::1]:5678`), without the port. */
export function peerAddress(peer: string): string {
  const v6 = /^\[(.*)\]:\d+$/.exec(peer);
  if (v6) return v6[1] ?? peer;
  const v4 = /^([^:]*):\d+$/.exec(peer);
  return v4?.[1] ?? peer;
}

/** A status object for grpc-js with a RetryInfo of RETRY_AFTER_SECONDS in its details. */
function retryable(code: grpc.status, details: string): grpc.StatusObject {
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusWithRetry(code, details, RETRY_AFTER_SECONDS * 1000));
  return { code, details, metadata };
}

const plain = (code: grpc.status, details: string): grpc.StatusObject => ({
  code,
  details,
  metadata: new grpc.Metadata(),
});

const statusName = (code: grpc.status): string => grpc.status[code] ?? String(code);

export function createGrpcReceiver(opts: GrpcReceiverOptions): GrpcReceiver {
  const { metrics, log } = opts;
  const admission = new ExportAdmission(opts);

  /**
   * Decides on the metadata, before the message is read: the ingest token, then the early refusal
   * of a client whose last request did not fit. Also counts every status the handler sends.
   */
  const gate: grpc.ServerInterceptor = (_method, call) => {
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            const auth = metadata.get('authorization');
            // Two authorization values are refused like a wrong one (never "the first that matches").
            const refusal = opts.ingestRefusal(
              auth.length === 0 ? undefined : auth.length === 1 ? String(auth[0]) : 'Bearer ?',
            );
            if (refusal !== undefined) {
              intercepting.sendStatus(
                plain(
                  refusal.status === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED,
                  refusal.message,
                ),
              );
              return;
            }
            const early = admission.refuseEarly(peerAddress(call.getPeer()));
            if (early !== undefined) {
              intercepting.sendStatus(retryable(grpc.status.UNAVAILABLE, early));
              return;
            }
            mdNext(metadata);
          },
        });
      },
      sendStatus: (status, next) => {
        metrics.requests.inc({ encoding: 'grpc', code: statusName(status.code) });
        next(status);
      },
    });
    return intercepting;
  };

  const exportSpans: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    let decoded;
    try {
      decoded = decodeProtobufSpans(call.request);
    } catch (err) {
      if (err instanceof MalformedExport) {
        callback(plain(grpc.status.INVALID_ARGUMENT, err.message));
        return;
      }
      log.error({ err }, 'OTLP/gRPC receiver failed');
      callback(plain(grpc.status.INTERNAL, 'internal error; see the collector log'));
      return;
    }
    const outcome = admission.admit(decoded, peerAddress(call.getPeer()));
    if (!outcome.accepted) {
      callback(
        retryable(
          outcome.refusal === 'share' ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE,
          outcome.message,
        ),
      );
      return;
    }
    callback(null, Buffer.from(encodeProtobufResponse(outcome.rejected, outcome.rejectReason)));
  };

  let server: grpc.Server | undefined;
  let port: number | undefined;
  let closing: Promise<void> | undefined;

  return {
    get port() {
      return port;
    },
    async listen(host, wanted) {
      if (server !== undefined) throw new Error('the OTLP/gRPC receiver is already listening');
      const s = new grpc.Server({
        interceptors: [gate],
        // Refused by grpc-js from the message's length prefix, and while inflating gzip.
        'grpc.max_receive_message_length': opts.bodyLimit,
      });
      s.addService(traceService, { Export: exportSpans });
      const h = host ?? 'localhost';
      const address = h.includes(':') ? `[${h}]:${wanted}` : `${h}:${wanted}`;
      port = await new Promise<number>((resolve, reject) => {
        s.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
          if (!err) return resolve(bound);
          s.forceShutdown(); // nothing bound: let its timers go, so a failed start leaves nothing behind
          reject(err);
        });
      });
      server = s;
      closing = undefined;
      return port;
    },
    close() {
      const s = server;
      if (s === undefined) return closing ?? Promise.resolve();
      server = undefined;
      port = undefined;
      closing = new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          log.warn('OTLP/gRPC exports still running at close; cutting them off');
          s.forceShutdown();
          resolve();
        }, opts.closeGraceMs ?? 5000);
        force.unref();
        s.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}
