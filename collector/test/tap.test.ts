/**
 * The tap's record mapping is total: whatever headers kafkajs hands over (none, a header
 * without a value, repeated, binary, empty, huge, named like Object.prototype members), it
 * gives a record with a usable id or none, and never throws (a throw stopped the tap for good:
 * kafkajs redelivers a failed batch). The real-broker check is test/hostile.kafka.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tapRecord } from '../src/tap/index.ts';

const at = (headers: unknown) => tapRecord('t', 1, { offset: '7', timestamp: '1000', headers });

describe('tapRecord', () => {
  it.each<[string, unknown, string | null]>([
    ['no headers', undefined, null],
    ['a header without a value (kcat -H event-id)', { 'event-id': null }, null],
    ['an empty value', { 'event-id': Buffer.alloc(0) }, null],
    ['a binary value', { 'event-id': Buffer.from([0xff, 0xfe]) }, null],
    ['an oversized value', { 'event-id': Buffer.alloc(257, 0x61) }, null],
    ['a repeated header', { 'event-id': [Buffer.from('e1'), Buffer.from('e2')] }, 'e1'],
    ['a repeated header whose first value is null', { 'event-id': [null, Buffer.from('e2')] }, null],
    ['a string', { 'event-id': 'e1' }, 'e1'],
    [
      'a UUID',
      { 'event-id': Buffer.from('0190b2a0-0000-7000-8000-000000000001') },
      '0190b2a0-0000-7000-8000-000000000001',
    ],
  ])('%s', (_, headers, eventId) => {
    expect(at(headers)).toEqual({
      topic: 't',
      partition: 1,
      offset: 7,
      timestampUs: 1_000_000,
      eventId,
      correlationId: null,
    });
  });

  it('reads configured header names, first found wins (CloudEvents ce_id, X-Correlation-ID)', () => {
    const envelope = { eventId: ['event-id', 'ce_id'], correlationId: ['correlation-id', 'X-Correlation-ID'] };
    const rec = tapRecord(
      't',
      0,
      {
        offset: '1',
        timestamp: '1',
        headers: { ce_id: Buffer.from('ce-1'), 'X-Correlation-ID': [Buffer.from('corr-1')], 'event-id': null },
      },
      envelope,
    );
    expect(rec).toMatchObject({ eventId: 'ce-1', correlationId: 'corr-1' });
    const ours = tapRecord('t', 0, { offset: '1', timestamp: '1', headers: { 'event-id': 'e', ce_id: 'c' } }, envelope);
    expect(ours.eventId).toBe('e');
  });

  it('reads only own headers (an inherited member is no header)', () => {
    const headers = Object.create({ 'event-id': Buffer.from('inherited') }) as object;
    expect(at(headers).eventId).toBeNull();
    expect(at({ constructor: Buffer.from('c') }).eventId).toBeNull();
  });

  it('never throws, and an id is non-empty UTF-8 of at most 256 bytes (property)', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.string(),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.array(
        fc.oneof(
          fc.constant(null),
          fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
        ),
      ),
      fc.anything(),
    );
    const name = fc.constantFrom('event-id', 'correlation-id', '__proto__', 'constructor', 'toString', 'x');
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(name, value, { noNullPrototype: false }), fc.anything()), (headers) => {
        const r = at(headers);
        for (const id of [r.eventId, r.correlationId]) {
          if (id === null) continue;
          expect(id.length).toBeGreaterThan(0);
          expect(Buffer.byteLength(id)).toBeLessThanOrEqual(256);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
