/**
 * Hostile requests against the flows API and the OTLP intake (app.inject, real store): spans
 * dated far in the future or past, cursors the store cannot page from, ids longer than the
 * router's parameter limit, and a property test that every cursor the server hands out works.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SagaListItem } from '../src/flows/schemas.ts';
import { decodeProtobufResponse, encodeProtobufRequest } from '../src/traces/otlp/protobuf.ts';
import { metricValue, useListeningApp } from './traces-helpers.ts';

const h = useListeningApp();

const hex = (n: number): string => randomBytes(n).toString('hex');
const nsOf = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();
const sattr = (key: string, v: string) => ({ key, value: { stringValue: v } });

/** A producer span of one saga step (the flows consumer makes a saga of its correlation id). */
function producerSpan(corr: string, start: string | number, end: string | number = start) {
  return {
    traceId: hex(16),
    spanId: hex(8),
    name: 'send orders',
    kind: 4,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: [
      sattr('messaging.system', 'kafka'),
      sattr('messaging.destination.name', 'orders'),
      sattr('messaging.message.id', `evt-${hex(6)}`),
      sattr('eventscope.event.type', 'order.placed'),
      sattr('eventscope.correlation.id', corr),
    ],
  };
}

const exportOf = (spans: unknown[]) => ({
  resourceSpans: [{ resource: { attributes: [sattr('service.name', 'hostile')] }, scopeSpans: [{ spans }] }],
});

async function sendJson(spans: unknown[]) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(exportOf(spans)),
  });
  await h.app.intake.flush();
  return res;
}

describe('spans dated outside a sane window', () => {
  it('are rejected per span with partialSuccess (JSON and protobuf) and counted; the saga list stays sane', async () => {
    const now = Date.now();
    const u64max = '18446744073709551615';
    const year2500 = nsOf(Date.UTC(2500, 0, 1)); // past 2^53 µs: not a valid time at all
    const year2200 = nsOf(Date.UTC(2200, 0, 1)); // a valid time, far outside the window
    const corr = `future-${hex(4)}`;
    const rejectedNow = async () =>
      (await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'time_window' })) +
      (await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'invalid' }));
    const windowBefore = await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'time_window' });
    const before = await rejectedNow();
    const json = await sendJson([
      producerSpan(`${corr}-a`, 1e19),
      producerSpan(`${corr}-b`, u64max),
      producerSpan(`${corr}-c`, year2500),
      producerSpan(`${corr}-d`, nsOf(now - 30 * 24 * 3_600_000)), // before the retention (7 days)
      producerSpan(`${corr}-e`, nsOf(now - 1000), year2200), // ends in 2200
      producerSpan(`${corr}-f`, year2200),
      producerSpan(`${corr}-ok`, nsOf(now - 1000)),
    ]);
    expect(json.statusCode, json.body).toBe(200);
    const body = json.json<{ partialSuccess?: { rejectedSpans: number; errorMessage: string } }>();
    expect(body.partialSuccess?.rejectedSpans).toBe(6);
    // The first reason: 1e19 ns is past 2^53 µs, not even a valid time (the window comes after decoding).
    expect(body.partialSuccess?.errorMessage).toMatch(/invalid start\/end times/);

    const proto = await h.app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/x-protobuf' },
      payload: Buffer.from(
        encodeProtobufRequest(
          exportOf(
            [producerSpan(`${corr}-p1`, u64max), producerSpan(`${corr}-p2`, year2200)].map((s) => ({
              ...s,
              traceId: Buffer.from(s.traceId, 'hex'),
              spanId: Buffer.from(s.spanId, 'hex'),
            })),
          ),
        ),
      ),
    });
    await h.app.intake.flush();
    expect(proto.statusCode).toBe(200);
    expect(decodeProtobufResponse(proto.rawPayload).partialSuccess?.rejectedSpans).toBe(2);
    expect(await rejectedNow()).toBe(before + 8);
    // Before the retention, ending in 2200, starting in 2200 (JSON and protobuf): outside the window.
    expect(await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'time_window' })).toBe(
      windowBefore + 4,
    );
    const windowOnly = await sendJson([producerSpan(`${corr}-w`, year2200)]);
    expect(windowOnly.json<{ partialSuccess?: { errorMessage: string } }>().partialSuccess?.errorMessage).toMatch(
      /outside .* ahead of the collector's clock/,
    );

    const list = await h.app.inject(`/api/sagas?q=${corr}`);
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: SagaListItem[] }>().items.map((s) => s.correlationId)).toEqual([`${corr}-ok`]);
  });
});

describe('saga cursors', () => {
  it('a cursor the store cannot page from is a 400 with a reason, not a 500', async () => {
    for (const cursor of ['99999999999999999~x', '9007199254740993~x', '12~', '~x', 'x~1', '1.5~a', '-1~a']) {
      const res = await h.app.inject(`/api/sagas?cursor=${encodeURIComponent(cursor)}`);
      expect(res.statusCode, `${cursor}: ${res.body}`).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(/cursor .* is not valid: expected/);
    }
    expect((await h.app.inject(`/api/sagas?cursor=${encodeURIComponent('9007199254740991~x')}`)).statusCode).toBe(200);
  });

  it('every nextCursor the server hands out is accepted by the same endpoint (property)', async () => {
    const now = Date.now();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 8 }),
        // Start times: recent ones, and any u64 nanoseconds (far future ones were stored, and the cursor after them refused).
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 3_600_000 }).map((age) => ({ ns: nsOf(now - age), recent: true })),
            fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => ({ ns: n.toString(), recent: false })),
          ),
          { minLength: 8, maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 3 }),
        async (suffixes, times, limit) => {
          const prefix = `cur${run++}-${hex(3)}-`;
          const ids = suffixes.map((s) => `${prefix}${s}`);
          const res = await sendJson(ids.map((id, i) => producerSpan(id, times[i]?.ns ?? '0')));
          expect(res.statusCode).toBe(200);
          const seen: string[] = [];
          let cursor: string | null = null;
          for (let page = 0; page < 20; page++) {
            const qs = new URLSearchParams({ q: prefix, limit: String(limit) });
            if (cursor !== null) qs.set('cursor', cursor);
            const r = await h.app.inject(`/api/sagas?${qs.toString()}`);
            expect(r.statusCode, r.body).toBe(200);
            const p = r.json<{ items: SagaListItem[]; nextCursor: string | null }>();
            seen.push(...p.items.map((s) => s.correlationId));
            cursor = p.nextCursor;
            if (cursor === null) break;
          }
          // Every recent saga is listed once; others only if their time happened to be within the window.
          expect(new Set(seen).size).toBe(seen.length);
          for (const id of seen) expect(ids).toContain(id);
          for (const [i, id] of ids.entries()) if (times[i]?.recent) expect(seen).toContain(id);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('ids and the router', () => {
  it('ids of 101-200 characters work, in the search link too; longer ones are a 400 with a reason', async () => {
    const corr = `L${'x'.repeat(120)}/${hex(8)}`; // 138 characters, '/' percent-encoded in links
    expect((await sendJson([producerSpan(corr, nsOf(Date.now() - 1000))])).statusCode).toBe(200);
    const search = await h.app.inject(`/api/search?q=${encodeURIComponent(corr)}`);
    expect(search.statusCode, search.body).toBe(200);
    const [match] = search.json<{ matches: { kind: string; href: string }[] }>().matches;
    expect(match?.kind).toBe('saga');
    const saga = await h.app.inject(match?.href ?? '');
    expect(saga.statusCode, saga.body).toBe(200);

    // The longest valid id with every character encoded (a/// ... : 598 characters in the path).
    const slashes = `a${'/'.repeat(199)}`;
    expect((await h.app.inject(`/api/events/${encodeURIComponent(slashes)}`)).statusCode).toBe(404);
    for (const id of ['e'.repeat(201), 'e'.repeat(700), encodeURIComponent('/'.repeat(300))]) {
      const res = await h.app.inject(`/api/events/${id}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ error: string; message: string }>().message).toMatch(/longer than/);
    }
    const bad = await h.app.inject('/api/events/%E0%A4%A');
    expect(bad.statusCode).toBe(400);
  });
});
