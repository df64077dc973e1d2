/**
 * OTLP/HTTP intake: the real OpenTelemetry SDK exporters (JSON and protobuf, gzip) sending
 * to a listening collector, on the main port and on the OTLP port; malformed, oversized and
 * unsupported bodies; the queue-full 503.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.ts';
import { decodeProtobufRequest, decodeProtobufResponse, encodeProtobufRequest } from '../src/traces/otlp/protobuf.ts';
import { toSpans } from '../src/traces/otlp/wire.ts';
import { emitHop } from './sdk-hop.ts';
import { expectHopStored, metricValue, removeDir, startHarness, waitFor, type Harness } from './traces-helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  if (h) {
    await h.close();
    removeDir(h.dataDir);
    h = undefined;
  }
});

/** POST /v1/traces through app.inject, with the content type and content encoding given. */
const postTraces = (app: App, contentType: string, payload: InjectOptions['payload'], encoding?: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': contentType, ...(encoding ? { 'content-encoding': encoding } : {}) },
    payload,
  });

describe('OTLP intake', () => {
  // Regression: protobufjs puts stringValue '' on the AnyValue prototype, so int, bool and double
  // attributes decoded from protobuf read as '' (offsets and attempts of protobuf exporters were lost).
  it('keeps int, bool and double attribute values decoded from protobuf', () => {
    const body = encodeProtobufRequest({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.from('5bf92f3577b34da6a3ce929d0e0e4736', 'hex'),
                  spanId: Buffer.from('00f067aa0ba902b7', 'hex'),
                  name: 'send orders',
                  kind: 4,
                  startTimeUnixNano: '1795682072521000000',
                  endTimeUnixNano: '1795682072522000000',
                  attributes: [
                    { key: 'messaging.kafka.offset', value: { intValue: 42 } },
                    { key: 'flag', value: { boolValue: true } },
                    { key: 'ratio', value: { doubleValue: 0.5 } },
                    { key: 'topic', value: { stringValue: 'orders' } },
                    { key: 'empty', value: { stringValue: '' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const [span] = toSpans(decodeProtobufRequest(body)).spans;
    expect(span?.attributes).toEqual({
      'messaging.kafka.offset': 42,
      flag: true,
      ratio: 0.5,
      topic: 'orders',
      empty: '',
    });
  });

  it('stores hops sent by the OpenTelemetry JSON exporter (main port) and protobuf exporter with gzip (OTLP port)', async () => {
    h = await startHarness();
    const json = await emitHop(new JsonExporter({ url: `${h.url}/v1/traces` }), 'svc-json');
    const proto = await emitHop(
      new ProtoExporter({ url: `${h.otlpUrl}/v1/traces`, compression: 'gzip' as never }),
      'svc-proto',
    );
    for (const sent of [json, proto]) await expectHopStored(h.app, sent);
    expect(await metricValue(h.app, 'eventscope_spans_accepted_total')).toBe(4);
    expect(await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'protobuf', code: '200' })).toBe(2);
    expect(await metricValue(h.app, 'eventscope_otlp_requests_total', { encoding: 'json', code: '200' })).toBe(2);
    // Stored rows are readable as soon as the store's writer thread commits; the hop metrics follow
    // once its answer reaches the main thread.
    const metrics = await waitFor('hop metrics', async () => {
      const body = (await h?.app.inject('/metrics'))?.body ?? '';
      return /eventscope_hop_queue_seconds_count\{topic="orders",group="payments"\} 2/.test(body) ? body : undefined;
    });
    expect(metrics).toMatch(/eventscope_store_rows\{table="deliveries"\} 2/);
  });

  it('answers malformed bodies with 400 and a reason, in the request encoding', async () => {
    h = await startHarness();
    const bad = await postTraces(h.app, 'application/json', '{"resourceSpans": [');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      error: 'BAD_REQUEST',
      message: expect.stringContaining('not valid JSON') as unknown,
    });

    const shape = await postTraces(h.app, 'application/json', { resourceSpans: { not: 'an array' } });
    expect(shape.statusCode).toBe(400);
    expect(shape.json<{ message: string }>().message).toContain('resourceSpans must be an array');

    const garbage = await postTraces(
      h.app,
      'application/x-protobuf',
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    );
    expect(garbage.statusCode).toBe(400);
    expect(garbage.headers['content-type']).toBe('application/x-protobuf');
    expect(garbage.rawPayload.toString('latin1')).toContain('not a protobuf ExportTraceServiceRequest');

    const notGzip = await postTraces(h.app, 'application/json', Buffer.from('plainly not gzip'), 'gzip');
    expect(notGzip.statusCode).toBe(400);
    expect(notGzip.json<{ message: string }>().message).toContain('not valid gzip');

    const text = await postTraces(h.app, 'text/plain', 'hello');
    expect(text.statusCode).toBe(415);
    const br = await postTraces(h.app, 'application/json', '{}', 'br');
    expect(br.statusCode).toBe(415);
    const none = await fetch(`${h.otlpUrl}/v1/traces`, { method: 'POST', body: new Uint8Array([1, 2, 3]) });
    expect(none.status).toBe(415);
  });

  it('rejects invalid spans with partialSuccess and keeps the valid ones (JSON and protobuf)', async () => {
    h = await startHarness();
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (traceId: string, eventId: string) => ({
      traceId,
      spanId: '00f067aa0ba902b7',
      name: 'send t',
      kind: 4,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 1_000_000n),
      attributes: [
        { key: 'messaging.system', value: { stringValue: 'kafka' } },
        { key: 'messaging.destination.name', value: { stringValue: 't' } },
        { key: 'messaging.message.id', value: { stringValue: eventId } },
      ],
    });
    const good = randomUUID();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/json' },
      payload: {
        resourceSpans: [
          { scopeSpans: [{ spans: [span('4bf92f3577b34da6a3ce929d0e0e4736', good), span('xyz', randomUUID())] }] },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: expect.stringContaining('traceId') as unknown },
    });
    // The same request in protobuf: a span whose trace id has 3 bytes is rejected.
    const protoGood = randomUUID();
    const pbSpan = (traceId: Buffer, eventId: string) => ({
      ...span('', eventId),
      traceId,
      spanId: Buffer.from('00f067aa0ba902b8', 'hex'),
      startTimeUnixNano: now.toString(),
      endTimeUnixNano: (now + 1_000_000n).toString(),
    });
    const pb = await h.app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/x-protobuf' },
      payload: Buffer.from(
        encodeProtobufRequest({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    pbSpan(Buffer.from('5bf92f3577b34da6a3ce929d0e0e4736', 'hex'), protoGood),
                    pbSpan(Buffer.from([1, 2, 3]), randomUUID()),
                  ],
                },
              ],
            },
          ],
        }),
      ),
    });
    expect(pb.statusCode).toBe(200);
    expect(decodeProtobufResponse(pb.rawPayload)).toMatchObject({ partialSuccess: { rejectedSpans: 1 } });
    for (const id of [good, protoGood]) {
      await waitFor(`event ${id}`, async () =>
        (await h?.app.inject(`/api/events/${id}`))?.statusCode === 200 ? true : undefined,
      );
    }
    expect(await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'invalid' })).toBe(2);
  });

  it('answers 413 above the body limit, also after gzip inflation (zip bomb)', async () => {
    h = await startHarness({ bodyLimitBytes: 4096 });
    const big = Buffer.alloc(5000, 0x20);
    const raw = await fetch(`${h.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(raw.status).toBe(413);
    // 1 MB of zeros gzips to about 1 KB: under the limit on the wire, far over it inflated.
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    expect(bomb.length).toBeLessThan(4096);
    const res = await fetch(`${h.otlpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expect(res.status).toBe(413);
    // A small gzip body is fine.
    const ok = await fetch(`${h.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from('{"resourceSpans":[]}')),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({});
  });

  it('reads span kinds by number or by enum name, anything else as unspecified', () => {
    const kindOf = (kind: unknown) =>
      toSpans({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                    spanId: '00f067aa0ba902b7',
                    name: 'x',
                    kind,
                    startTimeUnixNano: '1700000000000000000',
                    endTimeUnixNano: '1700000000000000000',
                  },
                ],
              },
            ],
          },
        ],
      } as Parameters<typeof toSpans>[0]).spans[0]?.kind;
    expect(kindOf(4)).toBe('producer');
    expect(kindOf('SPAN_KIND_CONSUMER')).toBe('consumer');
    for (const odd of ['constructor', 'toString', '__proto__', 'consumer', 9, undefined]) {
      expect(kindOf(odd), String(odd)).toBe('unspecified');
    }
  });

  it('refuses with 503 and Retry-After while the intake queue is full, and accepts again once drained', async () => {
    h = await startHarness({ intakeQueueSpans: 100 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stored: number[] = [];
    h.app.intake.setConsumer(async (spans) => {
      await gate;
      stored.push(spans.length);
    });
    const now = BigInt(Date.now()) * 1_000_000n;
    const payload = (n: number) => ({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: Array.from({ length: n }, (_, i) => ({
                traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                spanId: (i + 1).toString(16).padStart(16, '0'),
                name: 'x',
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now),
              })),
            },
          ],
        },
      ],
    });
    const post = (n: number) => postTraces(h!.app, 'application/json', payload(n));
    expect((await post(100)).statusCode).toBe(200);
    expect(h.app.intake.depth).toBe(100);
    const full = await post(1);
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('1');
    expect(full.json()).toMatchObject({ error: 'OVERLOADED' });
    // Refused again before decoding (a retrying exporter costs no decode): not even JSON, still 503.
    const again = await postTraces(h.app, 'application/json', '{not json');
    expect(again.statusCode).toBe(503);
    expect(await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'queue_full' })).toBe(1);
    expect((await h.app.inject('/metrics')).body).toMatch(/eventscope_intake_queue_spans 100/);
    release();
    await h.app.intake.flush();
    expect(stored.reduce((a, b) => a + b, 0)).toBe(100);
    expect((await post(1)).statusCode).toBe(200);
  });
});
