/** Pure units: configuration parsing, tracing switch, naming, latency percentiles, wire format. */
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { loadConfig, tracingEnabled } from '../src/config.ts';
import { ConfigError } from '../src/lib/errors.ts';
import { envelopeHeaders, parseEnvelope } from '../src/lib/envelope.ts';
import { encodeWire } from '../src/lib/schemas.ts';
import { percentile, summarize } from '../src/loadgen/stats.ts';
import { completeSend, expectOffset, producerHook } from '../src/tracing/spans.ts';
import { lineSplitter } from '../src/supervisor.ts';
import { naming } from '../src/topics.ts';

describe('config', () => {
  it('applies defaults and freezes', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      orderPort: 8090,
      orderUrl: 'http://127.0.0.1:8090',
      maxAttempts: 4,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('rejects bad values, naming the variable', () => {
    expect(() => loadConfig({ DEMO_MAX_ATTEMPTS: '0' })).toThrow(/DEMO_MAX_ATTEMPTS/);
    expect(() => loadConfig({ ORDER_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ DEMO_TOPIC_PREFIX: 'a b' })).toThrow(/DEMO_TOPIC_PREFIX/);
    expect(() => loadConfig({ DEMO_TRACING: 'maybe' })).toThrow(/DEMO_TRACING/);
    expect(() => loadConfig({ DEMO_INITIAL_STOCK: '-1' })).toThrow(/DEMO_INITIAL_STOCK/);
    expect(() => loadConfig({ DEMO_LOG_LEVEL: 'loud' })).toThrow(/DEMO_LOG_LEVEL=loud: valid values are info, warn/);
    expect(() => loadConfig({ KAFKAJS_LOG_LEVEL: '__proto__' })).toThrow(/KAFKAJS_LOG_LEVEL/);
  });
  it('reads the log levels and the initial stock in one place', () => {
    expect(loadConfig({})).toMatchObject({ initialStock: 1_000_000_000, logLevel: 'info', kafkajsLogLevel: 'warn' });
    expect(loadConfig({ DEMO_INITIAL_STOCK: '5', DEMO_LOG_LEVEL: 'WARN', KAFKAJS_LOG_LEVEL: 'debug' })).toMatchObject({
      initialStock: 5,
      logLevel: 'warn',
      kafkajsLogLevel: 'debug',
    });
  });
  it('turns tracing off with OTEL_SDK_DISABLED or DEMO_TRACING=off', () => {
    expect(tracingEnabled({})).toBe(true);
    expect(tracingEnabled({ OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled({ DEMO_TRACING: 'off' })).toBe(false);
  });
});

describe('naming', () => {
  it('prefixes topics, groups and DLQs and maps topics back to event types', () => {
    const n = naming('t1.');
    expect(n.topic('order.placed')).toBe('t1.order.placed');
    expect(n.group('inventory')).toBe('t1.inventory');
    expect(n.dlq('inventory')).toBe('t1.inventory.dlq');
    expect(n.typeOf('t1.payment.charge')).toBe('payment.charge');
    expect(n.typeOf('payment.charge')).toBeUndefined();
    expect(n.allTopics()).toContain('t1.orchestrator.dlq');
  });
});

describe('envelope', () => {
  it('round-trips headers and requires event id and type', () => {
    const h = envelopeHeaders({ eventId: 'e1', eventType: 'order.placed', correlationId: 'o1' });
    expect(h).toEqual({ 'event-id': 'e1', 'event-type': 'order.placed', 'correlation-id': 'o1' });
    expect(parseEnvelope({ ...h, 'causation-id': Buffer.from('c1') })).toEqual({
      ok: true,
      envelope: { eventId: 'e1', eventType: 'order.placed', correlationId: 'o1', causationId: 'c1' },
    });
    const missing = parseEnvelope({ 'event-type': 'x' });
    expect(missing.ok ? '' : missing.reason).toMatch(/lacks the event-id/);
  });
});

describe('wire format', () => {
  it('writes magic byte 0, the big-endian schema id, then Avro', () => {
    const type = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });
    const buf = encodeWire(258, type, { a: 'x' });
    expect([...buf.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
    expect(type.fromBuffer(buf.subarray(5))).toEqual({ a: 'x' });
  });
});

describe('latency percentiles', () => {
  it('uses nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(summarize([3, 1, 2])).toMatchObject({ count: 3, p50: 2, max: 3, mean: 2 });
    expect(summarize([])).toMatchObject({ count: 0, p50: 0 });
  });
});

describe('outbox record timestamp with tracing on', () => {
  it("is the send span's start for records the outbox marks, and left alone for others", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('unit');
    const start = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

    // The outbox stamped its own Date.now() a moment before the send span started.
    const marked = { headers: {}, timestamp: String(start - 25) };
    expectOffset(marked);
    producerHook(tracer.startSpan('send t', { startTime: start }), { topic: 't', message: marked });
    expect(marked.timestamp).toBe(String(start));
    completeSend(marked, { partition: 0, offset: '7' });

    const other = { headers: {}, timestamp: '5' };
    const span = tracer.startSpan('send t', { startTime: start });
    producerHook(span, { topic: 't', message: other });
    span.end();
    expect(other.timestamp).toBe('5');

    // Both spans were exported, the held one with the offset completeSend gave it.
    const exported = exporter.getFinishedSpans();
    expect(exported).toHaveLength(2);
    expect(exported.some((s) => s.attributes['messaging.kafka.offset'] === 7)).toBe(true);
    await provider.shutdown();
  });
});

describe("a service's output as lines", () => {
  const split = (chunks: Buffer[], maxChars?: number): string[] => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l), maxChars);
    for (const c of chunks) s.write(c);
    s.end();
    return lines;
  };

  it('joins a UTF-8 character cut between chunks, and passes on a last line without a newline', () => {
    const bytes = Buffer.from('prix: 12 € ok\nfin sans retour', 'utf8');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of €
    expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['prix: 12 € ok', 'fin sans retour']);
    expect(split([Buffer.from('a\n\nb\n')])).toEqual(['a', '', 'b']);
  });

  it('passes on a line with no end in pieces instead of holding it', () => {
    const lines = split([Buffer.from('x'.repeat(25)), Buffer.from('y'.repeat(5) + '\nz')], 10);
    expect(lines).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxxyyyyy', 'z']);
  });
});
