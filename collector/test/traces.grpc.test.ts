/**
 * OTLP/gRPC intake (traces/grpc/): Node's real OpenTelemetry gRPC exporter, plain and gzip,
 * exporting to the receiver on a real port, and a raw grpc-js client for what an exporter does
 * not send on purpose: malformed bytes, invalid spans (partial_success), oversized and
 * gzip-bomb messages, backpressure with RetryInfo, the ingest token in the metadata.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connect as http2Connect, type IncomingHttpHeaders } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { decodeStatusDetails, STATUS_DETAILS_KEY } from '../src/traces/grpc/index.ts';
import { TRACE_EXPORT_PATH } from '../src/traces/otlp/protobuf.ts';
import { decodeProtobufResponse, encodeProtobufRequest } from '../src/traces/otlp/protobuf.ts';
import { emitHop } from './sdk-hop.ts';
import { expectHopStored, metricValue, removeDir, startHarness, waitFor, type Harness } from './traces-helpers.ts';

interface GrpcHarness extends Harness {
  grpcPort: number;
}

let h: GrpcHarness | undefined;
const clients: grpc.Client[] = [];
/** Opens a test's gated store, so the app can close even when the test failed before opening it. */
let releaseGate: (() => void) | undefined;
afterEach(async () => {
  releaseGate?.();
  releaseGate = undefined;
  for (const c of clients.splice(0)) c.close();
  if (h) {
    // The app's close closes the gRPC receiver too (its preClose hook).
    await h.close();
    removeDir(h.dataDir);
    h = undefined;
  }
});

async function start(overrides: Partial<Config> = {}): Promise<GrpcHarness> {
  const harness = await startHarness(overrides);
  const grpcPort = await harness.app.otlpGrpc.listen('127.0.0.1', 0);
  return { ...harness, grpcPort };
}

const exporterFor = (port: number, options: { gzip?: boolean; token?: string } = {}): OTLPTraceExporter => {
  const metadata = new grpc.Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  return new OTLPTraceExporter({
    url: `http://127.0.0.1:${port}`,
    metadata,
    timeoutMillis: 5000,
    ...(options.gzip ? { compression: 'gzip' as never } : {}),
  });
};

/** A grpc-js client of TraceService/Export that sends and returns raw bytes. */
function rawClient(port: number, options: grpc.ClientOptions = {}) {
  const Client = grpc.makeGenericClientConstructor(
    {
      Export: {
        path: TRACE_EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    'TraceService',
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  clients.push(client);
  return (body: Uint8Array, metadata = new grpc.Metadata()) =>
    new Promise<{ error: grpc.ServiceError | null; response?: Buffer }>((resolve) => {
      (
        client as unknown as {
          Export: (
            b: Buffer,
            m: grpc.Metadata,
            o: grpc.CallOptions,
            cb: (e: grpc.ServiceError | null, r?: Buffer) => void,
          ) => void;
        }
      ).Export(Buffer.from(body), metadata, { deadline: Date.now() + 10_000 }, (error, response) =>
        resolve({ error, ...(response ? { response } : {}) }),
      );
    });
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** An ExportTraceServiceRequest of `n` spans (of `service`, or of no service: the client is its address). */
function request(n: number, service?: string, spanOver: Record<string, unknown> = {}): Uint8Array {
  const now = nowNs();
  return encodeProtobufRequest({
    resourceSpans: [
      {
        resource: { attributes: service ? [{ key: 'service.name', value: { stringValue: service } }] : [] },
        scopeSpans: [
          {
            spans: Array.from({ length: n }, () => ({
              traceId: randomBytes(16),
              spanId: randomBytes(8),
              name: 'x',
              startTimeUnixNano: now.toString(),
              endTimeUnixNano: now.toString(),
              ...spanOver,
            })),
          },
        ],
      },
    ],
  });
}

/** The RetryInfo delay and status of a refused call's `grpc-status-details-bin` trailer. */
function retryInfoOf(error: grpc.ServiceError | null) {
  const [details] = error?.metadata.get(STATUS_DETAILS_KEY) ?? [];
  expect(Buffer.isBuffer(details), 'grpc-status-details-bin trailer').toBe(true);
  return decodeStatusDetails(details as Buffer);
}

/** One raw HTTP/2 request to the Export path: its HTTP status and gRPC status (header or trailer). */
function rawHttp2(port: number, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status?: number; grpcStatus?: string }>((resolve) => {
    const session = http2Connect(`http://127.0.0.1:${port}`);
    const out: { status?: number; grpcStatus?: string } = {};
    session.on('error', () => resolve(out));
    const req = session.request({ ':method': 'POST', ':path': TRACE_EXPORT_PATH, ...headers });
    req.on('response', (h) => {
      out.status = Number(h[':status']);
      if (h['grpc-status'] !== undefined) out.grpcStatus = String(h['grpc-status']);
    });
    req.on('trailers', (t: IncomingHttpHeaders) => {
      if (t['grpc-status'] !== undefined) out.grpcStatus = String(t['grpc-status']);
    });
    req.on('data', () => undefined);
    req.on('error', () => undefined);
    req.on('close', () => {
      session.close();
      resolve(out);
    });
    req.end(body);
  });
}

/** A gRPC message frame: compressed flag, 4-byte length (the payload's unless given), payload. */
function frame(payload: Buffer, compressed = 0, length = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed;
  head.writeUInt32BE(length, 1);
  return Buffer.concat([head, payload]);
}

describe('OTLP/gRPC receiver', () => {
  it('stores hops sent by the OpenTelemetry gRPC exporter, plain and gzip, found by event id', async () => {
    h = await start();
    const port = h.grpcPort;
    const plain = await emitHop(exporterFor(port), 'svc-grpc');
    const gzip = await emitHop(exporterFor(port, { gzip: true }), 'svc-grpc-gzip');
    for (const sent of [plain, gzip]) await expectHopStored(h.app, sent);
    expect(await metricValue(h.app, 'eventscope_spans_accepted_total')).toBe(4);
    expect(await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'grpc', code: 'OK' })).toBe(4);
    // A raw gzip-compressed call (grpc-encoding: gzip) is inflated and decoded like the exporter's.
    const gz = await rawClient(port, { 'grpc.default_compression_algorithm': 2 })(request(3, 'raw-gzip'));
    expect(gz.error).toBeNull();
    expect(decodeProtobufResponse(gz.response ?? Buffer.alloc(0))).toEqual({});
  });

  it('answers malformed bytes with INVALID_ARGUMENT and a reason, invalid spans with partial_success', async () => {
    h = await start();
    const send = rawClient(h.grpcPort);
    const garbage = await send(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(garbage.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(garbage.error?.details).toContain('not a protobuf ExportTraceServiceRequest');
    // Odd bytes everywhere, and a message field that is not a message.
    for (const odd of [randomBytes(64), Buffer.from('{"resourceSpans":[]}'), Buffer.from([0x0a, 0x02, 0x0a, 0x05])]) {
      const r = await send(odd);
      expect(r.error?.code, odd.toString('hex')).toBe(grpc.status.INVALID_ARGUMENT);
    }
    // An empty request is a valid, empty export.
    expect((await send(new Uint8Array(0))).error).toBeNull();

    const now = nowNs();
    const eventId = randomUUID();
    const span = (traceId: Buffer, id: string, startNs = now) => ({
      traceId,
      spanId: randomBytes(8),
      name: 'send t',
      kind: 4,
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: (startNs + 1_000_000n).toString(),
      attributes: [
        { key: 'messaging.system', value: { stringValue: 'kafka' } },
        { key: 'messaging.destination.name', value: { stringValue: 't' } },
        { key: 'messaging.message.id', value: { stringValue: id } },
      ],
    });
    const body = encodeProtobufRequest({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                span(randomBytes(16), eventId),
                span(Buffer.from([1, 2, 3]), randomUUID()), // a trace id of 3 bytes
                span(randomBytes(16), randomUUID(), 16_725_225_600_000_000_000n), // the year 2500
              ],
            },
          ],
        },
      ],
    });
    const partial = await send(body);
    expect(partial.error).toBeNull();
    expect(decodeProtobufResponse(partial.response ?? Buffer.alloc(0))).toEqual({
      partialSuccess: { rejectedSpans: 2, errorMessage: expect.stringContaining('traceId') as unknown },
    });
    await waitFor(`event ${eventId}`, async () =>
      (await h?.app.inject(`/api/events/${eventId}`))?.statusCode === 200 ? true : undefined,
    );
    // The year 2500 is refused by the decoder (past what a microsecond fits) or by the time window.
    expect(
      (await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'invalid' })) +
        (await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'time_window' })),
    ).toBe(2);
    expect(
      await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'grpc', code: 'INVALID_ARGUMENT' }),
    ).toBe(4);
    // A method the receiver does not serve (metrics, logs) is UNIMPLEMENTED, not a hang.
    const other = await new Promise<grpc.ServiceError | null>((resolve) => {
      const client = new grpc.Client(`127.0.0.1:${h?.grpcPort}`, grpc.credentials.createInsecure());
      clients.push(client);
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err) => resolve(err),
      );
    });
    expect(other?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('refuses a message above the body limit with RESOURCE_EXHAUSTED, also after gzip inflation', async () => {
    h = await start({ bodyLimitBytes: 4096 });
    const big = await rawClient(h.grpcPort)(request(100, 'big'));
    expect(big.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(big.error?.metadata.get(STATUS_DETAILS_KEY)).toEqual([]); // retrying cannot help: no RetryInfo
    // 1 MB of zeros gzips to about 1 KB: under the limit on the wire, far over it inflated.
    const bomb = await rawClient(h.grpcPort, { 'grpc.default_compression_algorithm': 2 })(Buffer.alloc(1024 * 1024));
    expect(bomb.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // The real exporter gets the same status, and a small export still goes through.
    const many = exporterFor(h.grpcPort);
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => {
      const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'big' }) });
      const tracer = provider.getTracer('t');
      const spans = Array.from({ length: 50 }, () => {
        const s = tracer.startSpan('x', { attributes: { padding: 'p'.repeat(100) } });
        s.end();
        return s;
      });
      many.export(spans as never, resolve);
    });
    expect(result.code).toBe(1); // ExportResultCode.FAILED
    expect((result.error as grpc.ServiceError | undefined)?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await many.shutdown();
    expect((await emitHop(exporterFor(h.grpcPort), 'small')).results.map((r) => r.code)).toEqual([0, 0]);
  });

  it('signals backpressure with UNAVAILABLE / RESOURCE_EXHAUSTED and RetryInfo, and accepts again once drained', async () => {
    h = await start({ intakeQueueSpans: 100 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    releaseGate = release;
    let stored = 0;
    h.app.intake.setConsumer(async (spans) => {
      await gate;
      stored += spans.length;
    });
    const send = rawClient(h.grpcPort);
    // Fair share: above the high-water mark (80 of 100) a client holding more than half of it (two
    // clients) is throttled while the queue still has room for the other.
    expect((await send(request(60, 'a'))).error).toBeNull();
    expect((await send(request(10, 'b'))).error).toBeNull();
    const share = await send(request(15, 'a'));
    expect(share.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(share.error?.details).toContain('fair share');
    expect(retryInfoOf(share.error)).toEqual({
      code: grpc.status.RESOURCE_EXHAUSTED,
      message: expect.stringContaining('fair share') as unknown,
      retryDelayMs: 1000,
    });
    expect((await send(request(15, 'b'))).error).toBeNull(); // b is under its share: taken (depth 85)
    // Full: the whole collector is overloaded.
    const full = await send(request(20)); // no service.name: known by its address
    expect(full.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(full.error?.details).toContain('intake queue full (100 spans)');
    expect(retryInfoOf(full.error)).toMatchObject({ code: grpc.status.UNAVAILABLE, retryDelayMs: 1000 });
    // Refused again on the metadata, before the message is read or decoded: even garbage is UNAVAILABLE.
    const again = await send(Buffer.from('not protobuf at all'));
    expect(again.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(retryInfoOf(again.error).retryDelayMs).toBe(1000);
    // The real exporter is told the same (Node's gRPC exporter does not retry by itself; Java's, Go's
    // and the Collector's do, after the RetryInfo delay).
    const exporter = exporterFor(h.grpcPort);
    const refused = await emitHop(exporter, 'late');
    expect(refused.results.map((r) => r.code)).toEqual([1, 1]);
    const err = refused.results[0]?.error as grpc.ServiceError | undefined;
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(retryInfoOf(err ?? null).retryDelayMs).toBe(1000);
    expect(await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'fair_share' })).toBe(15);
    expect(
      await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'queue_full' }),
    ).toBeGreaterThanOrEqual(20);
    expect(
      await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'grpc', code: 'UNAVAILABLE' }),
    ).toBeGreaterThanOrEqual(2);
    release();
    await h.app.intake.flush();
    expect(stored).toBe(85);
    // Drained: the retry succeeds.
    expect((await send(request(20))).error).toBeNull();
    // (the first exporter was shut down with its provider: a new one, as a restarted service would)
    expect((await emitHop(exporterFor(h.grpcPort), 'late')).results.map((r) => r.code)).toEqual([0, 0]);
  });

  it('needs the ingest token (or an operator token) in the authorization metadata when auth is on', async () => {
    const ingest = 'ingest-token-0123456789abcdef';
    const viewer = 'viewer-token-0123456789abcdef';
    const operator = 'operator-token-0123456789abcd';
    h = await start({ ingestToken: ingest, tokens: [`v:viewer:${viewer}`, `o:operator:${operator}`] });
    const port = h.grpcPort;
    const none = await emitHop(exporterFor(port), 'anon');
    expect((none.results[0]?.error as grpc.ServiceError | undefined)?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((none.results[0]?.error as grpc.ServiceError | undefined)?.details).toContain('ingest token');
    const wrong = await emitHop(exporterFor(port, { token: 'not-the-token-0123456789' }), 'wrong');
    expect((wrong.results[0]?.error as grpc.ServiceError | undefined)?.code).toBe(grpc.status.UNAUTHENTICATED);
    const other = await emitHop(exporterFor(port, { token: viewer }), 'viewer');
    expect((other.results[0]?.error as grpc.ServiceError | undefined)?.code).toBe(grpc.status.PERMISSION_DENIED);
    // Refused on the metadata: an unauthenticated oversized message is not read to find out.
    expect((await rawClient(port)(Buffer.alloc(16 * 1024 * 1024))).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    for (const token of [ingest, operator]) {
      const ok = await emitHop(exporterFor(port, { token, gzip: true }), `svc-${token.slice(0, 2)}`);
      expect(ok.results.map((r) => r.code)).toEqual([0, 0]);
      await waitFor(`event ${ok.eventId}`, async () => {
        const res = await h?.app.inject({
          url: `/api/events/${ok.eventId}`,
          headers: { authorization: `Bearer ${viewer}` },
        });
        return res?.statusCode === 200 ? true : undefined;
      });
    }
    expect(
      await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'grpc', code: 'UNAUTHENTICATED' }),
    ).toBe(5); // two exports (a span each) without a token, two with a wrong one, the oversized call
    expect(await metricValue(h.app, 'eventscope_http_refused_total', { reason: 'forbidden' })).toBe(2);
  });

  it('answers odd clients with a status and keeps serving', async () => {
    h = await start();
    const port = h.grpcPort;
    const grpcHeaders = { 'content-type': 'application/grpc', te: 'trailers' };
    const odd: [string, Record<string, string>, Buffer][] = [
      ['not gRPC', { 'content-type': 'application/json' }, Buffer.from('{}')],
      ['a frame cut short', grpcHeaders, frame(Buffer.alloc(10), 0, 100)],
      ['two messages', grpcHeaders, Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))])],
      ['no message', grpcHeaders, Buffer.alloc(0)],
      ['a 4 GB length prefix', grpcHeaders, frame(Buffer.alloc(4), 0, 0xffffffff)],
      ['compressed, without an encoding', grpcHeaders, frame(Buffer.alloc(10), 1)],
      ['brotli', { ...grpcHeaders, 'grpc-encoding': 'br' }, frame(Buffer.alloc(10), 1)],
      ['gzip that is not', { ...grpcHeaders, 'grpc-encoding': 'gzip' }, frame(Buffer.from('nope'), 1)],
      ['a bad deadline', { ...grpcHeaders, 'grpc-timeout': 'soon' }, frame(Buffer.alloc(0))],
    ];
    for (const [what, headers, body] of odd) {
      const r = await rawHttp2(port, headers, body);
      expect(r.status !== 200 || (r.grpcStatus !== undefined && r.grpcStatus !== '0'), what).toBe(true);
    }
    // HTTP/1.1 and bytes that are not HTTP at all: the connection ends, nothing else.
    await expect(
      fetch(`http://127.0.0.1:${port}${TRACE_EXPORT_PATH}`, { method: 'POST', body: 'x' }),
    ).rejects.toThrow();
    await new Promise<void>((resolve) => {
      const c = tcpConnect(port, '127.0.0.1', () => c.end(randomBytes(4096)));
      c.on('data', () => undefined);
      c.on('error', () => resolve());
      c.on('close', () => resolve());
    });
    expect(await rawHttp2(port, grpcHeaders, frame(Buffer.from(request(1, 'after-odd'))))).toEqual({
      status: 200,
      grpcStatus: '0',
    });
  });

  it('closes its port with the app, and /readyz says so', async () => {
    const harness = await start();
    const port = harness.grpcPort;
    expect(harness.app.otlpGrpc.port).toBe(port);
    expect((await rawClient(port)(request(1, 'before'))).error).toBeNull();
    expect((await harness.app.inject('/readyz')).json()).toMatchObject({ checks: { 'otlp-grpc': 'ok' } });
    // Closed first (as server.ts does on SIGTERM): not ready any more, while the app still answers.
    await harness.app.otlpGrpc.close();
    const ready = await harness.app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { 'otlp-grpc': 'closed (shutting down)' } });
    await harness.close();
    removeDir(harness.dataDir);
    expect(harness.app.otlpGrpc.port).toBeUndefined();
    const after = await rawClient(port)(request(1, 'after'));
    expect(after.error?.code).toBe(grpc.status.UNAVAILABLE);
  });
});
