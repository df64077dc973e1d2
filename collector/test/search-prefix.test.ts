/**
 * The global search takes an id prefix (issue #23, item 6), as the sagas page does: a search
 * that names no id exactly lists the event ids and correlation ids starting with it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kafkaSpan, postSpans, serviceSpans, useListeningApp } from './traces-helpers.ts';

const h = useListeningApp();

async function publish(eventId: string, corr: string): Promise<void> {
  const span = {
    kind: 'producer',
    topic: 'orders',
    eventId,
    type: 'order.placed',
    corr,
    startMs: Date.now() - 1000,
  } as const;
  await postSpans(h.app, [serviceSpans('orders', [kafkaSpan(span)])]);
}

interface Found {
  matches: { kind: string; id: string; href: string }[];
}
const search = async (q: string) => {
  const res = await h.app.inject(`/api/search?q=${encodeURIComponent(q)}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Found>();
};

describe('search by id prefix', () => {
  it('lists the event and saga ids that start with a search naming no id exactly', async () => {
    const stem = randomUUID().slice(0, 8);
    const a = `${stem}-aaaa-${randomUUID().slice(14)}`;
    const b = `${stem}-bbbb-${randomUUID().slice(14)}`;
    const corr = `order-${stem}-${randomUUID()}`;
    await publish(a, corr);
    await publish(b, corr);

    expect((await search(stem)).matches).toEqual([
      { kind: 'event', id: a, href: `/api/events/${a}` },
      { kind: 'event', id: b, href: `/api/events/${b}` },
    ]);
    expect((await search(`${stem}-bb`)).matches.map((m) => m.id)).toEqual([b]);
    expect((await search(`order-${stem}`)).matches).toEqual([
      { kind: 'saga', id: corr, href: `/api/sagas/${encodeURIComponent(corr)}` },
    ]);
    // An exact id is only that id; short and odd prefixes find nothing and break nothing.
    expect((await search(a)).matches).toEqual([{ kind: 'event', id: a, href: `/api/events/${a}` }]);
    expect((await search(stem.slice(0, 3))).matches).toEqual([]);
    for (const odd of ['%_%_', '____', "' OR 1=1 --", '\uffff\uffff\uffff\uffff', '__proto__']) {
      const res = await h.app.inject(`/api/search?q=${encodeURIComponent(odd)}`);
      expect(res.statusCode, odd).toBeLessThan(500);
      if (res.statusCode === 200) expect(res.json<Found>().matches, odd).toEqual([]);
    }
  });
});
