/**
 * The envelope parser is total: whatever headers a record carries (none, valueless, empty,
 * binary, repeated, named like Object.prototype members, huge), it yields a valid envelope or
 * a reason, never an exception. Header objects are built the way kafkajs builds them: the
 * header pairs are written in Kafka's record format and read back with kafkajs's own record
 * decoder, so null values and names like `__proto__` arrive exactly as a consumer sees them.
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADER, dlqHeaders } from '../src/lib/consumer.ts';
import { HEADER, MAX_ENVELOPE_VALUE_BYTES, parseEnvelope, parseHeaders } from '../src/lib/envelope.ts';

const require = createRequire(import.meta.url);
interface KafkaEncoder {
  writeInt8(v: number): KafkaEncoder;
  writeVarLong(v: number): KafkaEncoder;
  writeVarInt(v: number): KafkaEncoder;
  writeVarIntBytes(v: Buffer | null): KafkaEncoder;
  writeVarIntString(v: string): KafkaEncoder;
  writeVarIntArray(v: KafkaEncoder[]): KafkaEncoder;
  buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder') as new () => KafkaEncoder;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  d: unknown,
  ctx: { firstOffset: string; firstTimestamp: string },
) => { headers: Record<string, unknown> };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
}) => KafkaEncoder;

type Pair = readonly [string, Buffer | null];

/** The headers object kafkajs hands a consumer for a record with these header pairs. */
function asConsumed(pairs: readonly Pair[]): Record<string, unknown> {
  const body = new Encoder()
    .writeInt8(0)
    .writeVarLong(0)
    .writeVarInt(0)
    .writeVarIntBytes(null)
    .writeVarIntBytes(null)
    .writeVarIntArray(pairs.map(([k, v]) => new Encoder().writeVarIntString(k).writeVarIntBytes(v)));
  return decodeRecord(new Decoder(body.buffer), { firstOffset: '0', firstTimestamp: '0' }).headers;
}

/** Encodes headers as kafkajs's producer does, then reads them back as pairs. */
function roundTrip(headers: Record<string, unknown>): Pair[] {
  const encoded = encodeRecord({ key: null, value: null, headers }).buffer;
  const d = new Decoder(encoded) as { readVarInt(): number };
  d.readVarInt(); // the record's length
  const out: Pair[] = [];
  for (const [name, values] of parseHeaders(decodeRecord(d, { firstOffset: '0', firstTimestamp: '0' }).headers)) {
    for (const v of values) out.push([name, v]);
  }
  return out;
}

const ENVELOPE_NAMES = Object.values(HEADER);
const NAMES = [
  ...ENVELOPE_NAMES,
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'noequals',
  '',
  'traceparent',
  DLQ_HEADER.errorClass,
];
const nameArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, fc.string({ maxLength: 12 }));
const valueArb: fc.Arbitrary<Buffer | null> = fc.oneof(
  fc.constant(null),
  fc.uuid().map((u) => Buffer.from(u)),
  fc.constantFrom('order.placed', 'payment.charge').map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => Buffer.from(s)),
  fc.integer({ min: 200, max: 400 }).map((n) => Buffer.alloc(n, 0x61)),
);
const pairsArb = fc.array(fc.tuple(nameArb, valueArb), { maxLength: 12 });

function checkResult(r: ReturnType<typeof parseEnvelope>): void {
  if (r.ok) {
    for (const v of [r.envelope.eventId, r.envelope.eventType]) {
      expect(typeof v).toBe('string');
      expect(v.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(v)).toBeLessThanOrEqual(MAX_ENVELOPE_VALUE_BYTES);
    }
    expect(typeof r.envelope.correlationId).toBe('string');
  } else {
    expect(typeof r.reason).toBe('string');
    expect(r.reason.length).toBeGreaterThan(0);
  }
}

describe('parseEnvelope (property)', () => {
  it('never throws on headers as kafkajs decodes them, and a valid envelope matches the headers', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const result = parseEnvelope(asConsumed(pairs));
        checkResult(result);
        const of = (name: string) => pairs.filter(([k]) => k === name).map(([, v]) => v);
        if (result.ok) {
          // Every event-id / event-type the record carries is the one in the envelope.
          for (const v of of(HEADER.eventId)) expect(v?.toString('utf8')).toBe(result.envelope.eventId);
          for (const v of of(HEADER.eventType)) expect(v?.toString('utf8')).toBe(result.envelope.eventType);
        }
        // One well-formed value per envelope header, event id and type present: always valid.
        const wellFormed = ENVELOPE_NAMES.every((n) => {
          const vs = of(n);
          return (
            vs.length <= 1 &&
            vs.every((v) => v !== null && v.length > 0 && v.length <= MAX_ENVELOPE_VALUE_BYTES && isUtf8(v))
          );
        });
        if (wellFormed && of(HEADER.eventId).length === 1 && of(HEADER.eventType).length === 1) {
          expect(result.ok).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws on arbitrary header objects (null, undefined, strings, arrays, anything)', () => {
    const loose = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string(),
      fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
      fc.array(
        fc.oneof(
          fc.constant(null),
          fc.constant(undefined),
          fc.uint8Array().map((a) => Buffer.from(a)),
        ),
      ),
      fc.anything(),
    );
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(nameArb, loose, { noNullPrototype: false }), fc.anything()), (raw) => {
        checkResult(parseEnvelope(raw));
        expect(parseHeaders(raw)).toBeInstanceOf(Map);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('parseHeaders (property)', () => {
  it('keeps every header as a name, every value in order, null for no value', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const parsed = parseHeaders(asConsumed(pairs));
        const expected = new Map<string, (Buffer | null)[]>();
        for (const [k, v] of pairs) expected.set(k, [...(expected.get(k) ?? []), v]);
        expect([...parsed.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [k, vs] of expected) expect(parsed.get(k)).toEqual(vs);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('dlqHeaders (property)', () => {
  const dlq = {
    [DLQ_HEADER.originalTopic]: 't',
    [DLQ_HEADER.originalPartition]: '0',
    [DLQ_HEADER.originalOffset]: '7',
    [DLQ_HEADER.consumerGroup]: 'g',
    [DLQ_HEADER.errorClass]: 'DecodeError',
    [DLQ_HEADER.errorMessage]: 'header event-id has no value',
    [DLQ_HEADER.attempts]: '1',
    [DLQ_HEADER.firstFailureTime]: '2026-01-01T00:00:00.000Z',
    [DLQ_HEADER.lastFailureTime]: '2026-01-01T00:00:00.000Z',
  };

  it('is something kafkajs can send: the original headers (no value -> empty) and ours replacing any dlq-*', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const headers = dlqHeaders(asConsumed(pairs), dlq);
        expect(Object.getPrototypeOf(headers)).toBeNull();
        const sent = roundTrip(headers);
        const dlqNames = new Set<string>(Object.values(DLQ_HEADER));
        const originals = pairs.filter(([k]) => !dlqNames.has(k)).map(([k, v]) => [k, v ?? Buffer.alloc(0)]);
        const sentOriginals = sent.filter(([k]) => !dlqNames.has(k));
        // Same headers, same order per name (names are grouped, as kafkajs groups them).
        const byName = (ps: readonly (readonly [string, Buffer | null])[]) => {
          const m = new Map<string, string[]>();
          for (const [k, v] of ps) m.set(k, [...(m.get(k) ?? []), (v ?? Buffer.alloc(0)).toString('hex')]);
          return m;
        };
        expect(byName(sentOriginals)).toEqual(byName(originals as [string, Buffer][]));
        for (const [name, value] of Object.entries(dlq)) {
          expect(sent.filter(([k]) => k === name).map(([, v]) => v?.toString('utf8'))).toEqual([value]);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('hostile headers, one by one', () => {
  const id = '0190b2a0-0000-7000-8000-000000000001';
  const good: Pair[] = [
    [HEADER.eventId, Buffer.from(id)],
    [HEADER.eventType, Buffer.from('notification.send')],
  ];
  it.each<[string, Pair[], RegExp | null]>([
    ['no headers at all', [], /lacks the event-id/],
    ['a header without a value (kcat -H noequals)', [...good, ['noequals', null]], null],
    ['event-id without a value', [[HEADER.eventId, null], good[1]!], /event-id has no value/],
    ['an empty event-type', [good[0]!, [HEADER.eventType, Buffer.alloc(0)]], /event-type is empty/],
    ['a binary event-id', [[HEADER.eventId, Buffer.from([0xff, 0xfe, 0x00])], good[1]!], /not UTF-8/],
    ['two different event-ids', [...good, [HEADER.eventId, Buffer.from('other')]], /appears 2 times/],
    ['the same event-id twice', [...good, [HEADER.eventId, Buffer.from(id)]], null],
    ['a huge correlation-id', [...good, [HEADER.correlationId, Buffer.alloc(100_000, 0x61)]], /100000 bytes/],
    [
      '__proto__, constructor and toString',
      [...good, ['__proto__', null], ['constructor', Buffer.from('x')], ['toString', null]],
      null,
    ],
    ['a huge unrelated header', [...good, ['blob', Buffer.alloc(512 * 1024, 1)]], null],
  ])('%s', (_, pairs, reason) => {
    const r = parseEnvelope(asConsumed(pairs));
    if (reason) {
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.reason).toMatch(reason);
    } else
      expect(r).toEqual({ ok: true, envelope: { eventId: id, eventType: 'notification.send', correlationId: '' } });
  });

  it('sees through what kafkajs makes of a header named like an Object.prototype member', () => {
    const raw = asConsumed([
      ['constructor', Buffer.from('a')],
      ['__proto__', null],
    ]);
    // kafkajs's own reduce gives `[Object, <Buffer 61>]` here: the inherited member comes first.
    expect(Array.isArray(raw.constructor)).toBe(true);
    const parsed = parseHeaders(raw);
    expect(parsed.get('constructor')).toEqual([Buffer.from('a')]);
    expect(parsed.get('__proto__')).toEqual([null]);
    expect(parsed.get('toString')).toBeUndefined();
  });
});
