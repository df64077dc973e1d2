/**
 * The direct protobuf decoder (otlp/protobuf-spans.ts) against the reference path it replaces
 * on the ingest path: protobufjs's decode, then toSpans. Same spans, same rejections and reasons,
 * and malformed bytes refused by both.
 */
import { describe, expect, it } from 'vitest';
import { decodeProtobufRequest, encodeProtobufRequest } from '../src/traces/otlp/protobuf.ts';
import { decodeProtobufSpans } from '../src/traces/otlp/protobuf-spans.ts';
import type { SpanData } from '../src/traces/span.ts';
import { MalformedExport, toSpans } from '../src/traces/otlp/wire.ts';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const T1 = hex('5bf92f3577b34da6a3ce929d0e0e4736');
const S1 = hex('00f067aa0ba902b7');
const S2 = hex('00f067aa0ba902b8');

/** The bytes of the first field of a message (its tag and length stripped). */
function fieldBody(msg: Uint8Array): Buffer {
  let pos = 1;
  while ((msg[pos] as number) >= 0x80) pos++;
  return Buffer.from(msg.subarray(pos + 1));
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

const reference = (body: Uint8Array) => toSpans(decodeProtobufRequest(body));

function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (err) {
    return { threw: err instanceof MalformedExport };
  }
}

const span = (over: Record<string, unknown> = {}) => ({
  traceId: T1,
  spanId: S1,
  name: 'send orders',
  kind: 4,
  startTimeUnixNano: '1795682072521123456',
  endTimeUnixNano: '1795682072522999999',
  attributes: [
    { key: 'messaging.system', value: { stringValue: 'kafka' } },
    { key: 'messaging.kafka.offset', value: { intValue: 42 } },
    { key: 'negative', value: { intValue: '-7' } },
    { key: 'big', value: { intValue: '9007199254740993' } },
    { key: 'flag', value: { boolValue: true } },
    { key: 'off', value: { boolValue: false } },
    { key: 'ratio', value: { doubleValue: 0.5 } },
    { key: 'empty', value: { stringValue: '' } },
    { key: 'unicode', value: { stringValue: 'ordre passé ✓ 🚀' } },
    { key: 'bom', value: { stringValue: '\uFEFFkept' } },
    { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 250]) } },
    { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }, {}] } } },
    {
      key: 'map',
      value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }, { key: 'none' }] } },
    },
    { key: 'novalue' },
    { key: 'messaging.kafka.offset', value: { intValue: 43 } },
  ],
  ...over,
});

/** An AnyValue nested `n` arrays deep. */
const nested = (n: number): Record<string, unknown> =>
  n === 0 ? { stringValue: 'deep' } : { arrayValue: { values: [nested(n - 1)] } };

const REQUEST = {
  resourceSpans: [
    {
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: 'orders' } },
          { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
        ],
      },
      scopeSpans: [
        {
          scope: { name: '@opentelemetry/instrumentation-kafkajs', version: '0.33.0' },
          spans: [
            span(),
            span({ spanId: S2, parentSpanId: S1, kind: 5, status: { code: 2, message: 'boom' } }),
            span({ parentSpanId: hex('0000000000000000'), status: { code: 1 } }),
            span({
              links: [
                { traceId: T1, spanId: S2 },
                { traceId: hex('01'), spanId: S1 },
              ],
            }),
            span({ kind: -3 }),
            span({ kind: 9 }),
            span({ attributes: [{ key: 'deep', value: nested(12) }] }),
          ],
        },
        { spans: [span({ startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '18446744073709551615' })] },
      ],
    },
    // No service.name; a number as service.name.
    { scopeSpans: [{ spans: [span()] }] },
    { resource: { attributes: [{ key: 'service.name', value: { intValue: 3 } }] }, scopeSpans: [{ spans: [span()] }] },
    // Rejections, each with its reason.
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad' } }] },
      scopeSpans: [
        {
          spans: [
            span({ traceId: hex('010203') }),
            span({ traceId: Buffer.alloc(16) }),
            span({ traceId: Buffer.alloc(0) }),
            span({ spanId: Buffer.alloc(8) }),
            span({ spanId: hex('0102') }),
            span({ parentSpanId: hex('0102') }),
            span({ startTimeUnixNano: '0' }),
            span({ endTimeUnixNano: '1795682072520000000' }),
            span({ startTimeUnixNano: undefined }),
          ],
        },
      ],
    },
  ],
};

describe('decodeProtobufSpans', () => {
  it('gives the same spans, rejections and reasons as protobufjs + toSpans', () => {
    const body = encodeProtobufRequest(REQUEST);
    const mine = decodeProtobufSpans(body);
    expect(mine).toEqual(reference(body));
    // The span at u64 max nanoseconds (past 2^53 µs) is rejected by both, as an invalid time.
    expect(mine.spans.length).toBe(9);
    expect(mine.rejected).toBe(10);
    const [first] = mine.spans;
    expect(first).toMatchObject({
      service: 'orders',
      startUs: 1795682072521123,
      endUs: 1795682072522999,
      attributes: { 'messaging.kafka.offset': 43, big: 9007199254740992, negative: -7, bytes: 'AQL6' },
    });
  });

  it('takes the service of a resource that comes after its spans, and skips unknown fields', () => {
    const resource = encodeProtobufRequest({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'late' } }] } }],
    });
    const spans = encodeProtobufRequest({ resourceSpans: [{ scopeSpans: [{ spans: [span()] }] }] });
    // One ResourceSpans with field 2 (scopeSpans) before field 1 (resource), plus unknown fields:
    // a varint (field 9), a fixed32 (field 10), a group (field 11) inside it, and a fixed64 at the top.
    const inner = Buffer.concat([
      fieldBody(spans),
      fieldBody(resource),
      Buffer.from([0x48, 0x96, 0x01, 0x55, 1, 2, 3, 4, 0x5b, 0x08, 0x01, 0x5c]),
    ]);
    const body = Buffer.concat([
      Buffer.from([0x0a]),
      varint(inner.length),
      inner,
      Buffer.from([0x21, 1, 2, 3, 4, 5, 6, 7, 8]),
    ]);
    const mine = decodeProtobufSpans(body);
    expect(mine).toEqual(reference(body));
    expect(mine.spans[0]?.service).toBe('late');
  });

  it('merges a message field that comes more than once, and keeps the last oneof member, as protobufjs does', () => {
    // protobuf's rule for a singular message field seen twice: the two are merged (scalars: the
    // last wins; repeated fields: appended). AnyValue's members are a oneof: the last one set wins.
    const tagged = (n: number, wt: number, ...p: Buffer[]): Buffer => Buffer.concat([varint((n << 3) | wt), ...p]);
    const len = (n: number, ...p: Buffer[]): Buffer => {
      const b = Buffer.concat(p);
      return tagged(n, 2, varint(b.length), b);
    };
    const text = (n: number, v: string): Buffer => len(n, Buffer.from(v));
    const num = (n: number, v: number): Buffer => tagged(n, 0, varint(v));
    const i64 = (n: number, write: (b: Buffer) => void): Buffer => {
      const b = Buffer.alloc(8);
      write(b);
      return tagged(n, 1, b);
    };
    const kv = (k: string, v: Buffer): Buffer => Buffer.concat([text(1, k), len(2, v)]);
    /** A request of one span; each of `resources` (a KeyValue) is a Resource field of its own. */
    const request = (resources: Buffer[], ...fields: Buffer[]): Buffer =>
      len(
        1,
        ...resources.map((r) => len(1, len(1, r))),
        len(
          2,
          len(
            2,
            len(1, T1),
            len(2, S1),
            i64(7, (b) => b.writeBigUInt64LE(1000000n)),
            i64(8, (b) => b.writeBigUInt64LE(2000000n)),
            ...fields,
          ),
        ),
      );
    /** An attribute `k` whose KeyValue carries these AnyValue messages as its value field, in order. */
    const attr = (...values: Buffer[]): Buffer => len(9, text(1, 'k'), ...values.map((v) => len(2, v)));
    const str = (v: string): Buffer => text(1, v);
    const int = (v: number): Buffer => num(3, v);
    const dbl = (v: number): Buffer => i64(4, (b) => b.writeDoubleLE(v));
    const arr = (...vs: Buffer[]): Buffer => len(5, ...vs.map((v) => len(1, v)));
    const map = (...kvs: Buffer[]): Buffer => len(6, ...kvs.map((x) => len(1, x)));
    const cases: [string, Buffer, Partial<SpanData>][] = [
      [
        'status twice',
        request([], len(15, num(3, 2), text(2, 'boom')), len(15, num(3, 1))),
        { status: 'ok', statusMessage: 'boom' },
      ],
      ['resource twice', request([kv('service.name', str('a')), kv('x', int(1))]), { service: 'a' }],
      [
        'resource twice, later name',
        request([kv('service.name', str('a')), kv('service.name', str('b'))]),
        { service: 'b' },
      ],
      ['string then int, one AnyValue', request([], attr(Buffer.concat([str('x'), int(3)]))), { attributes: { k: 3 } }],
      ['int then string, two values', request([], attr(int(3), str('x'))), { attributes: { k: 'x' } }],
      ['double then bool', request([], attr(dbl(0.5), num(2, 1))), { attributes: { k: true } }],
      ['int then an empty AnyValue', request([], attr(int(5), Buffer.alloc(0))), { attributes: { k: 5 } }],
      ['array twice', request([], attr(arr(str('a')), arr(int(1)))), { attributes: { k: ['a', 1] } }],
      [
        'array twice in one AnyValue',
        request([], attr(Buffer.concat([arr(str('a')), arr(int(1))]))),
        { attributes: { k: ['a', 1] } },
      ],
      [
        'array, string, array',
        request([], attr(Buffer.concat([arr(str('a')), str('x'), arr(int(1))]))),
        { attributes: { k: [1] } },
      ],
      [
        'kvlist twice',
        request([], attr(map(kv('a', int(1))), map(kv('b', int(2)), kv('a', str('s'))))),
        { attributes: { k: { a: 's', b: 2 } } },
      ],
      ['kvlist then array', request([], attr(map(kv('a', int(1))), arr(int(1)))), { attributes: { k: [1] } }],
    ];
    for (const [what, body, expected] of cases) {
      const mine = decodeProtobufSpans(body);
      expect(mine, what).toEqual(reference(body));
      expect(mine.spans, what).toHaveLength(1);
      expect(mine.spans[0], what).toMatchObject(expected);
    }
  });

  it('refuses every truncation that protobufjs refuses, and agrees on the rest', () => {
    const body = encodeProtobufRequest({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
          scopeSpans: [{ spans: [span({ parentSpanId: S2, links: [{ traceId: T1, spanId: S2 }] })] }],
        },
      ],
    });
    let refused = 0;
    for (let n = 0; n < body.length; n++) {
      const part = body.subarray(0, n);
      const ref = outcome(() => reference(part));
      expect(
        outcome(() => decodeProtobufSpans(part)),
        `prefix of ${n} bytes`,
      ).toEqual(ref);
      if ((ref as { threw?: boolean }).threw) refused++;
    }
    expect(refused).toBeGreaterThan(body.length / 2);
  });

  it('refuses bytes that are not a request: bad wire types, lengths past the end, invalid UTF-8', () => {
    for (const [bad, reason] of [
      [[0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01], /past the end of its message/],
      [[0x0f], /invalid wire type 7/],
      [[0x0a, 0x03, 0x12, 0x01], /past the end of its message/],
      // A nested length that fits in the body but runs past its parent: resourceSpans (2 bytes)
      // holding scopeSpans of 5 bytes, followed by bytes of the next top-level field.
      [[0x0a, 0x02, 0x12, 0x05, 0x0a, 0x03, 0x00, 0x00, 0x00], /length past the end of its message/],
      // A span's fixed64 start time cut by the end of its span (the body goes on).
      [[0x0a, 0x0a, 0x12, 0x08, 0x12, 0x06, 0x39, 1, 2, 3, 4, 5, 0x0a, 0x00], /past the end of its message/],
      // Field number 0; a tag longer than 5 bytes.
      [[0x00, 0x00], /field number 0/],
      [[0x8a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00], /invalid tag encoding/],
      // resourceSpans { scopeSpans { spans { name: <0xff 0xfe> } } }
      [[0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x2a, 0x02, 0xff, 0xfe], /not valid UTF-8/],
    ] as const) {
      const body = Buffer.from(bad);
      expect(() => reference(body)).toThrow(MalformedExport);
      expect(() => decodeProtobufSpans(body)).toThrow(MalformedExport);
      expect(() => decodeProtobufSpans(body)).toThrow(/^not a protobuf ExportTraceServiceRequest: /);
      expect(() => decodeProtobufSpans(body), Buffer.from(bad).toString('hex')).toThrow(reason);
    }
  });

  it('refuses invalid UTF-8 in every string it reads, as protobufjs does for proto3 strings', () => {
    // OTLP strings are proto3 `string` fields, which must be UTF-8: protobufjs's decode of the same
    // schema verifies them (Reader#stringVerify), so the direct decoder does too, rather than
    // storing U+FFFD replacement characters. A lone continuation byte, a truncated sequence, an
    // overlong encoding and a UTF-16 surrogate, each in a service name, a span name, an attribute
    // key, a string value (also nested in a list and a map) and a status message.
    const marker = 'MARKER';
    const places: Record<string, unknown>[] = [
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: marker } }] } },
      { span: { name: marker } },
      { span: { attributes: [{ key: marker, value: { intValue: 1 } }] } },
      { span: { attributes: [{ key: 'k', value: { stringValue: marker } }] } },
      { span: { attributes: [{ key: 'k', value: { arrayValue: { values: [{ stringValue: marker }] } } }] } },
      {
        span: {
          attributes: [{ key: 'k', value: { kvlistValue: { values: [{ key: marker, value: { boolValue: true } }] } } }],
        },
      },
      { span: { status: { code: 2, message: marker } } },
    ];
    // ... and a code point past U+10FFFF.
    const invalid = [[0x80], [0xe2, 0x9c], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]];
    for (const place of places) {
      const body = Buffer.from(
        encodeProtobufRequest({
          resourceSpans: [
            {
              ...(place.resource ? { resource: place.resource } : {}),
              scopeSpans: [{ spans: [span(place.span as Record<string, unknown> | undefined)] }],
            },
          ],
        }),
      );
      // Valid as encoded: both decoders agree and read the marker.
      expect(decodeProtobufSpans(body)).toEqual(reference(body));
      expect(JSON.stringify(decodeProtobufSpans(body))).toContain(marker);
      const at = body.indexOf(marker);
      for (const bytes of invalid) {
        // Same length as the marker, so every enclosing length stays right.
        const bad = Buffer.from(body);
        Buffer.from([...bytes, ...Array<number>(marker.length - bytes.length).fill(0x41)]).copy(bad, at);
        const what = `${JSON.stringify(place)} with ${Buffer.from(bytes).toString('hex')}`;
        expect(() => reference(bad), what).toThrow(MalformedExport);
        expect(() => decodeProtobufSpans(bad), what).toThrow(
          'not a protobuf ExportTraceServiceRequest: a string field is not valid UTF-8',
        );
      }
    }
  });
});
