/**
 * Property-based hostile input for the decoders at the edge: OTLP/JSON and OTLP/protobuf (random
 * and mutated bodies, attribute keys named like object members, odd numbers and strings, invalid
 * UTF-8) through the real app, and the DLQ record decoder (any header names and bytes). Never a
 * 5xx or a throw: a body is accepted with sane values or refused with a 400 and a reason.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { DlqRecordSchema } from '../src/dlq/schemas.ts';
import { toDlqRecord } from '../src/dlq/service.ts';
import type { KafkaRecord } from '../src/kafka/index.ts';
import { decodeJsonRequest } from '../src/traces/otlp/json.ts';
import { decodeProtobufResponse, encodeProtobufRequest } from '../src/traces/otlp/protobuf.ts';
import { decodeProtobufSpans } from '../src/traces/otlp/protobuf-spans.ts';
import { MalformedExport, toSpans } from '../src/traces/otlp/wire.ts';
import type { AttributeValue, DecodedExport } from '../src/traces/span.ts';
import { useListeningApp } from './traces-helpers.ts';

const h = useListeningApp();

const MEMBER_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
const hostileString = fc.oneof(
  fc.constantFrom(...MEMBER_NAMES, '', ' ', '\u0000', '\u0007\u001b[2J', '\uFEFF', '\uD800', 'x'.repeat(5000)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const hostileInt = fc.oneof(
  fc.constantFrom('18446744073709551615', '9223372036854775807', '-1', 'NaN', '1e3', '', ' 1', '0x10', '1.5'),
  fc.integer().map(String),
  fc.double(),
  fc.constantFrom(-1, 2 ** 64, Number.MAX_SAFE_INTEGER + 2),
);
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
/** An OTLP/JSON export of one span, now, with these attributes. */
const oneSpanRequest = <A>(attributes: A[]) => ({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: randomBytes(16).toString('hex'),
              spanId: randomBytes(8).toString('hex'),
              startTimeUnixNano: String(nowNs()),
              endTimeUnixNano: String(nowNs()),
              attributes,
            },
          ],
        },
      ],
    },
  ],
});
const hostileTime = fc.oneof(
  fc.constant(null).map(() => String(nowNs())),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  hostileInt,
);

const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString.map((s) => ({ stringValue: s })),
    hostileInt.map((i) => ({ intValue: i })),
    fc.double().map((d) => ({ doubleValue: d })),
    fc.boolean().map((b) => ({ boolValue: b })),
    fc.array(tie('v'), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
    fc
      .array(fc.record({ key: hostileString, value: tie('v') }), { maxLength: 3 })
      .map((values) => ({ kvlistValue: { values } })),
    fc.constant({}),
  ),
})).v;
const attributes = fc.array(fc.record({ key: hostileString, value: anyValue }), { maxLength: 6 });
const id = (bytes: number) =>
  fc.oneof(
    fc.constant(null).map(() => randomBytes(bytes).toString('hex')),
    fc.constantFrom('', '0'.repeat(bytes * 2), 'zz', 'AAAAAAAAAAA='),
    hostileString,
  );
const span = fc.record(
  {
    traceId: id(16),
    spanId: id(8),
    parentSpanId: id(8),
    name: hostileString,
    kind: fc.oneof(fc.integer({ min: -2, max: 9 }), hostileString),
    startTimeUnixNano: hostileTime,
    endTimeUnixNano: hostileTime,
    attributes,
    status: fc.record({ code: fc.oneof(fc.integer({ min: -1, max: 3 }), hostileString), message: hostileString }),
  },
  { requiredKeys: [] },
);
const exportRequest = fc.record({
  resourceSpans: fc.array(
    fc.record({
      resource: fc.record({ attributes }),
      scopeSpans: fc.array(fc.record({ spans: fc.array(span, { maxLength: 4 }) }), { maxLength: 2 }),
    }),
    { maxLength: 2 },
  ),
});

const isAttr = (v: unknown): v is AttributeValue =>
  v === null ||
  ['string', 'number', 'boolean'].includes(typeof v) ||
  (Array.isArray(v) && v.every(isAttr)) ||
  (typeof v === 'object' && Object.getPrototypeOf(v) === null && Object.values(v).every(isAttr));

/** What a decoder accepted is sane: ids as hex, times in order and safe, attributes plain data. */
function expectSane(d: DecodedExport): void {
  for (const s of d.spans) {
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(Number.isSafeInteger(s.startUs) && s.startUs > 0 && s.endUs >= s.startUs).toBe(true);
    expect(Object.getPrototypeOf(s.attributes)).toBe(null);
    for (const v of Object.values(s.attributes)) expect(isAttr(v), JSON.stringify(v)).toBe(true);
    expect(typeof s.service).toBe('string');
    expect(['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']).toContain(s.kind);
  }
  expect(d.rejected >= 0 && (d.rejected === 0 || typeof d.rejectReason === 'string')).toBe(true);
}

/** Decodes, or a MalformedExport: any other throw fails the property. */
function decodeOrMalformed(fn: () => DecodedExport): DecodedExport | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MalformedExport) return undefined;
    throw err;
  }
}

async function post(type: string, payload: Buffer | string) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': type }, payload });
  expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
  if (res.statusCode === 400 && type === 'application/json') {
    expect(res.json<{ message: string }>().message.length).toBeGreaterThan(0);
  }
  return res;
}

describe('OTLP decoders under hostile input', () => {
  it('OTLP/JSON: hostile attribute keys and values, odd ids, numbers and times', async () => {
    await fc.assert(
      fc.asyncProperty(exportRequest, async (req) => {
        const body = Buffer.from(JSON.stringify(req));
        const d = decodeOrMalformed(() => toSpans(decodeJsonRequest(body)));
        if (d) expectSane(d);
        const res = await post('application/json', body);
        expect([200, 400, 503]).toContain(res.statusCode);
      }),
      { numRuns: 200 },
    );
    await h.app.intake.flush();
  });

  it('an attribute named like an object member keeps its value (JSON and protobuf alike)', () => {
    for (const key of MEMBER_NAMES) {
      const req = oneSpanRequest([{ key, value: { stringValue: 'v' } }]);
      const json = toSpans(decodeJsonRequest(Buffer.from(JSON.stringify(req))));
      expect(Object.getOwnPropertyDescriptor(json.spans[0]?.attributes, key)?.value, key).toBe('v');
      const pb = req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
      const proto = decodeProtobufSpans(
        encodeProtobufRequest({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [{ ...pb, traceId: Buffer.from(pb.traceId, 'hex'), spanId: Buffer.from(pb.spanId, 'hex') }],
                },
              ],
            },
          ],
        }),
      );
      expect(Object.getOwnPropertyDescriptor(proto.spans[0]?.attributes, key)?.value, key).toBe('v');
    }
  });

  it('an OTLP/JSON intValue that is not a decimal integer is null, not what Number() makes of it', () => {
    const attr = (intValue: unknown) =>
      // What a hostile exporter puts where the wire type wants a decimal string.
      toSpans(oneSpanRequest([{ key: 'n', value: { intValue: intValue as string } }])).spans[0]?.attributes.n;
    for (const odd of ['0x10', '1e3', ' 1', '', 'NaN', '1.5', 1.5, {}, true])
      expect(attr(odd), JSON.stringify(odd)).toBeNull();
    expect(attr('-5')).toBe(-5);
    expect(attr(42)).toBe(42);
    expect(attr('9007199254740993')).toBe(9007199254740992); // int64 past 2^53: rounded, as protobuf's does
  });

  it('OTLP/protobuf: encoded hostile requests, then mutated and truncated bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        exportRequest,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat()),
        async (req, flips, cut) => {
          let bytes: Uint8Array;
          try {
            // protobufjs refuses some hostile values (a string where a number belongs): not the decoder's input then.
            bytes = encodeProtobufRequest(req);
          } catch {
            return;
          }
          const body = Buffer.from(bytes);
          const d = decodeOrMalformed(() => decodeProtobufSpans(body));
          if (d) expectSane(d);
          const mutated = Buffer.from(cut === null ? body : body.subarray(0, cut % (body.length + 1)));
          for (const [at, b] of flips) if (mutated.length > 0) mutated[at % mutated.length] = b;
          const m = decodeOrMalformed(() => decodeProtobufSpans(mutated));
          if (m) expectSane(m);
          const res = await post('application/x-protobuf', mutated);
          if (res.statusCode === 200) decodeProtobufResponse(res.rawPayload);
        },
      ),
      { numRuns: 200 },
    );
    await h.app.intake.flush();
  });

  it('random bytes, invalid UTF-8 and random JSON as either encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
          fc
            .tuple(fc.jsonValue(), fc.uint8Array({ minLength: 1, maxLength: 4 }))
            .map(([v, junk]) =>
              Buffer.concat([
                Buffer.from(`{"resourceSpans":[{"x":"`),
                Buffer.from(junk),
                Buffer.from(`${JSON.stringify(v)}"}]}`),
              ]),
            ),
        ),
        fc.constantFrom('application/json', 'application/x-protobuf'),
        async (body, type) => {
          if (type === 'application/json') {
            const d = decodeOrMalformed(() => toSpans(decodeJsonRequest(body)));
            if (d) expectSane(d);
          } else {
            const d = decodeOrMalformed(() => decodeProtobufSpans(body));
            if (d) expectSane(d);
          }
          await post(type, body);
        },
      ),
      { numRuns: 300 },
    );
    await h.app.intake.flush();
  });
});

describe('DLQ record decoder under hostile headers', () => {
  it('any header names and bytes, duplicated or none: never a throw, always what the response schema accepts', async () => {
    const headerName = fc.oneof(
      fc.constantFrom(
        ...MEMBER_NAMES,
        'dlq-attempts',
        'dlq-error-class',
        'dlq-original-partition',
        'dlq-original-offset',
        'event-id',
        '',
      ),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const headerValue = fc.oneof(
      // A header without a value: kafkajs hands over null (the adapter now drops it; a value is defensive).
      fc.constant(null as unknown as Buffer),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc.oneof(hostileString, hostileInt.map(String)).map((s) => Buffer.from(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(headerName, fc.array(headerValue, { minLength: 0, maxLength: 3 })), { maxLength: 8 }),
        fc.option(fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b))),
        fc.option(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b))),
        async (entries, value, key) => {
          const headers = Object.create(null) as Record<string, Buffer[]>;
          for (const [name, values] of entries) headers[name] = values;
          const record: KafkaRecord = { topic: 't.dlq', partition: 0, offset: 1, timestamp: 1, key, value, headers };
          const r = await toDlqRecord(record, undefined);
          // The route adds the record's redrive marks (none here) to what the decoder gives.
          const view = { ...r, redrives: [] };
          expect(Value.Check(DlqRecordSchema, JSON.parse(JSON.stringify(view))), JSON.stringify(r).slice(0, 300)).toBe(
            true,
          );
          expect(r.attempts === null || (Number.isSafeInteger(r.attempts) && r.attempts >= 0)).toBe(true);
          for (const v of Object.values(r.headers)) expect(typeof v).toBe('string');
          expect(Object.keys(r.headers).sort()).toEqual(Object.keys(headers).sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
