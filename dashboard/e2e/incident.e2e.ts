/**
 * The first minute of an incident (issue #23), in Chromium against a real collector polling the
 * real broker: which group is in trouble (severity first, every column on screen at 1440 px),
 * can the numbers be trusted (the overview's saga tiles equal the lists they open), where to go
 * next (links wherever a name appears), and ids that can be copied whole.
 */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { Kafka, logLevel, type Admin as KafkaAdmin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from './axe.ts';
import { launch, pathEndsWith, screenshot, type Browser } from './browser.ts';
import { seedOutcomeMix, seedSaga } from './seed.ts';
import { serve, type Served } from './serve.ts';

const suffix = randomUUID().slice(0, 8);
const prefix = `es-inc-${suffix}`;
/** Alphabetically first, but only seconds behind (with many records). */
const secondsGroup = `${prefix}-a-seconds`;
/** A minute behind with few records: the worse of the two. */
const minuteGroup = `${prefix}-b-minute`;
/** Caught up. */
const okGroup = `${prefix}-c-ok`;
/** Consumes many topics with long names. */
const wideGroup = `${prefix}-d-wide`;
/** The minute-behind group's dead-letter queue, with one record naming the group. */
const dlqTopic = `${minuteGroup}.dlq`;
const dlqEventId = randomUUID();
const dlqTraceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
/** A group Kafka does not have (finished and deleted): its page must not be a dead end. */
const goneGroup = `${prefix}-e-gone`;
const topics = {
  seconds: `${prefix}-seconds`,
  minute: `${prefix}-minute`,
  ok: `${prefix}-ok`,
  wide: Array.from(
    { length: 24 },
    (_, i) => `${prefix}-warehouse.inventory.reservation-requested.v${String(i).padStart(2, '0')}`,
  ),
};

let admin: KafkaAdmin;
let live: Served;
let browser: Browser;

beforeAll(async () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const kafka = new Kafka({ clientId: 'eventscope-dashboard-incident', brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [topics.seconds, topics.minute, topics.ok, dlqTopic, ...topics.wide].map((topic) => ({
      topic,
      numPartitions: 1,
    })),
  });
  const producer = kafka.producer({ idempotent: true }); // a retry adds no copies
  await producer.connect();
  const now = Date.now();
  await producer.sendBatch({
    topicMessages: [
      { topic: topics.seconds, messages: Array.from({ length: 2300 }, (_, i) => ({ value: String(i) })) },
      {
        topic: topics.minute,
        messages: Array.from({ length: 20 }, (_, i) => ({ value: String(i), timestamp: String(now - 60_000 + i) })),
      },
      { topic: topics.ok, messages: [{ value: 'x' }] },
      {
        topic: dlqTopic,
        messages: [
          {
            key: 'order-3',
            value: JSON.stringify({ orderId: 'order-3' }),
            headers: {
              'event-id': dlqEventId,
              traceparent: dlqTraceparent,
              'event-type': 'order.placed',
              'correlation-id': 'order-3',
              'dlq-original-topic': topics.minute,
              'dlq-original-partition': '0',
              'dlq-original-offset': '3',
              'dlq-consumer-group': minuteGroup,
              'dlq-error-class': 'IncidentTestError',
              'dlq-error-message': 'dead-lettered for the incident browser test',
              'dlq-attempts': '3',
            },
          },
        ],
      },
      ...topics.wide.map((topic) => ({ topic, messages: [{ value: 'a' }, { value: 'b' }] })),
    ],
  });
  await producer.disconnect();
  // Committed offsets of groups without members, in one request per group (kafkajs's
  // setOffsets joins the group once per topic: minutes for the wide group).
  const offsets = new Admin({ clientId: 'eventscope-dashboard-incident', bootstrapBrokers: brokers });
  const commit = (groupId: string, names: string[], offset: number) =>
    offsets.alterConsumerGroupOffsets({
      groupId,
      topics: names.map((name) => ({ name, partitionOffsets: [{ partition: 0, offset: BigInt(offset) }] })),
    });
  await commit(secondsGroup, [topics.seconds], 0);
  await commit(minuteGroup, [topics.minute], 0);
  await commit(okGroup, [topics.ok], 1);
  await commit(wideGroup, topics.wide, 1);
  await offsets.close();
  live = await serve('collector', {
    background: true,
    config: { groupsInclude: `${prefix}-*`, dlqPattern: `${prefix}-*.dlq`, pollIntervalMs: 1000, statusWindow: 2 },
  });
  browser = await launch({ width: 1440, height: 900 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await live?.close();
  await admin?.deleteGroups([secondsGroup, minuteGroup, okGroup, wideGroup]).catch(() => undefined);
  await admin
    ?.deleteTopics({ topics: [topics.seconds, topics.minute, topics.ok, dlqTopic, ...topics.wide] })
    .catch(() => undefined);
  await admin?.disconnect();
});

/** Waits until `check` holds, at most `timeoutMs`; fails naming what it waited for. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('incident view in Chromium', () => {
  it('lists groups severity first (status, then time behind) with every column on screen at 1440 px', async () => {
    const { page } = browser;
    // Two polls: statuses need a window of two samples, ages a read of the records.
    await until('four groups with statuses and ages', async () => {
      const res = await fetch(`${live.collectorUrl}/api/groups`);
      const { groups } = (await res.json()) as {
        groups: { group: string; status: string; lagSeconds: number | null }[];
      };
      const by = new Map(groups.map((g) => [g.group, g]));
      return (
        groups.length === 4 &&
        (by.get(minuteGroup)?.lagSeconds ?? 0) > 50 &&
        by.get(secondsGroup)?.lagSeconds !== null &&
        by.get(secondsGroup)?.status === by.get(minuteGroup)?.status
      );
    });
    await page.goto(`${live.url}/groups`);
    const table = page.getByRole('table', { name: 'Consumer groups' });
    await table.getByRole('link', { name: wideGroup, exact: true }).waitFor();
    const order = await table.locator('tbody tr td:first-child > a').allTextContents();
    expect(order.filter((g) => g !== wideGroup)).toEqual([minuteGroup, secondsGroup, okGroup]);

    // The wide group's rate, catch-up and last rebalance cells are inside the viewport.
    const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: wideGroup, exact: true }) });
    const cells = await row.locator('td').evaluateAll((tds) =>
      tds.map((td) => {
        const r = td.getBoundingClientRect();
        return { right: r.right, text: td.textContent ?? '' };
      }),
    );
    expect(cells).toHaveLength(await table.locator('thead th').count());
    expect(cells.length).toBeGreaterThanOrEqual(8);
    for (const c of cells) expect(c.right, `cell "${c.text.slice(0, 40)}"`).toBeLessThanOrEqual(1440);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    // The topic list is cut to a few names, each a link; the rest is counted, and all are in the tooltip.
    expect(await row.textContent()).toContain(`+${topics.wide.length - 3} more`);
    const firstTopic = row.getByRole('link', { name: topics.wide[0] });
    expect(await firstTopic.getAttribute('href')).toBe(`/groups?q=${encodeURIComponent(topics.wide[0] ?? '')}`);
    await screenshot(page, 'groups-severity-1440');

    // At 390 px the table keeps what tells a group's trouble: name, status and lag, on screen.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const first = table.locator('tbody tr').first();
      const visible = await first
        .locator('td')
        .evaluateAll((tds) =>
          tds
            .filter((td) => getComputedStyle(td).display !== 'none')
            .map((td) => ({ right: td.getBoundingClientRect().right, text: td.textContent ?? '' })),
        );
      expect(visible.length).toBe(4);
      for (const c of visible) expect(c.right, `cell "${c.text.slice(0, 30)}" at 390 px`).toBeLessThanOrEqual(390);
      expect(visible[1]?.text).toMatch(/STOP/);
      await screenshot(page, 'groups-390');
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('shows saga outcome figures equal to the lists they open, after late compensations', async () => {
    const { page } = browser;
    const mix = await seedOutcomeMix(live);
    // Each failure is reported before its compensation arrives, as in the demo under faults.
    await mix.compensateLate();
    await page.goto(`${live.url}/?range=1h`);
    const tile = page.getByRole('list', { name: 'Saga outcomes' });
    await tile.waitFor();
    const figures = new Map<string, number>();
    for (const item of await tile.getByRole('listitem').all()) {
      const label = (await item.getByRole('link').textContent()) ?? '';
      figures.set(label.replace('-', '_'), Number(await item.locator('.mono').textContent()));
    }
    expect(Object.fromEntries(figures)).toEqual(mix.expected);
    for (const status of Object.keys(mix.expected)) {
      await page.goto(`${live.url}/?range=1h`);
      await tile.getByRole('link', { name: status.replace('_', '-') }).click();
      await page.waitForURL(`**/sagas?status=${status}&range=1h`);
      const rows = page.getByRole('table', { name: 'Sagas' }).locator('tbody tr');
      const expected = figures.get(status) ?? -1;
      if (expected === 0) await page.getByText('No sagas match.').waitFor();
      else await rows.nth(expected - 1).waitFor();
      expect(await rows.count(), `sagas listed as ${status}`).toBe(expected);
    }
    await screenshot(page, 'overview-outcomes-agree');
  });

  it('links every group and topic name: DLQ list -> group -> its DLQ and sagas, and a gone group', async () => {
    const { page } = browser;
    await page.goto(`${live.url}/dlqs`);
    const row = page
      .getByRole('table', { name: 'DLQ topics' })
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: dlqTopic, exact: true }) });
    // "Groups: <group>" on the DLQ list is a link to the group.
    await row.getByRole('link', { name: minuteGroup, exact: true }).click({ timeout: 30_000 });
    await page.waitForURL(pathEndsWith(`/groups/${minuteGroup}`));
    const related = page.getByRole('navigation', { name: 'Related' });
    expect(await related.getByRole('link', { name: `Sagas through ${minuteGroup}` }).getAttribute('href')).toBe(
      `/sagas?group=${minuteGroup}`,
    );
    // The group's topics in the partitions table are links too (the table renders once the
    // group's detail has loaded, after the Related links: wait for it, do not count at once).
    const partitions = page.getByRole('region', { name: 'Partitions' });
    await partitions.getByRole('link', { name: topics.minute, exact: true }).first().waitFor({ timeout: 30_000 });
    await related.getByRole('link', { name: new RegExp(`^DLQ ${dlqTopic}`) }).click();
    await page.waitForURL(pathEndsWith(`/dlqs/${dlqTopic}`));
    // "Dead-lettered by <group>" and the record's group and original topic are links.
    await page.getByText('Dead-lettered by').getByRole('link', { name: minuteGroup }).waitFor({ timeout: 30_000 });
    // Under the record's summary line (the toggle, text only), its topic and group link out, on the
    // DLQ's Kafka cluster (the collector's only one here, named by the config's default).
    const record = page.locator('details.record[open]').first();
    await record.waitFor({ timeout: 30_000 });
    expect(await record.getByRole('link', { name: minuteGroup, exact: true }).getAttribute('href')).toBe(
      `/groups/${minuteGroup}?cluster=default`,
    );
    expect(await record.getByRole('link', { name: topics.minute, exact: true }).getAttribute('href')).toBe(
      `/groups?q=${topics.minute}&cluster=default`,
    );
    await screenshot(page, 'dlq-detail-links');

    // The sagas through the group: the list says which group it is filtered by, with a way back.
    await page.goto(`${live.url}/sagas?group=${minuteGroup}`);
    await page.getByText('through group').getByRole('link', { name: minuteGroup }).waitFor();

    // A group Kafka no longer has: what is known, not "Could not load group".
    await page.goto(`${live.url}/groups/${goneGroup}`);
    await page.getByText(`Kafka does not report the group ${goneGroup} now.`).waitFor();
    expect(await page.getByText(/Could not load/).count()).toBe(0);
    expect(
      await page
        .getByRole('navigation', { name: 'Related' })
        .getByRole('link', { name: /Sagas through/ })
        .count(),
    ).toBe(1);
    await screenshot(page, 'group-gone');
  });

  it('copies ids, headers and payloads whole, and finds an event by an id prefix', async () => {
    const { page, context } = browser;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: live.url });
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

    await page.goto(`${live.url}/dlqs`);
    await page
      .getByRole('table', { name: 'DLQ topics' })
      .getByRole('link', { name: dlqTopic, exact: true })
      .click({ timeout: 30_000 });
    const record = page.locator('details.record').first();
    await record.waitFor({ timeout: 30_000 });
    // The summary shows the id short; its button copies it whole (and does not toggle the record).
    const wasOpen = await record.evaluate((d) => (d as HTMLDetailsElement).open);
    await record.getByRole('button', { name: `Copy event id ${dlqEventId}` }).click();
    expect(await clipboard()).toBe(dlqEventId);
    expect(await record.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(wasOpen);
    if (!wasOpen) await record.locator('summary strong').click();
    await record.getByRole('button', { name: 'Copy traceparent' }).click();
    expect(await clipboard()).toBe(dlqTraceparent);
    await record.getByRole('button', { name: 'Copy payload' }).click();
    expect(JSON.parse(await clipboard())).toEqual({ orderId: 'order-3' });
    await record.getByRole('button', { name: 'Copy payload' }).getByText('Copied').waitFor();

    const saga = await seedSaga(live);
    await page.goto(`${live.url}/sagas/${saga.correlationId}`);
    await page.getByRole('button', { name: 'Copy correlation id' }).click();
    expect(await clipboard()).toBe(saga.correlationId);

    // The header's search takes a prefix, as the sagas page does: 8 characters of an event id.
    await page.keyboard.press('/');
    await page.keyboard.type(saga.events.declined.slice(0, 8));
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/events/${saga.events.declined}`);
    await page.getByRole('button', { name: 'Copy event id' }).click();
    expect(await clipboard()).toBe(saga.events.declined);
  });

  it('group, groups and DLQ pages with live data pass axe-core (WCAG 2 AA), light and dark', async () => {
    const found: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const themed = await launch({ colorScheme, width: 1440, height: 900 });
      try {
        const { page } = themed;
        for (const path of ['/groups', `/groups/${minuteGroup}`, '/dlqs', '/']) {
          await page.goto(`${live.url}${path}`);
          await page.getByRole('main').locator('h1').first().waitFor();
          await page.waitForFunction(() => !document.querySelector('.state-loading'), undefined, { timeout: 15_000 });
          found.push(...(await scan(page)).map((v) => `${colorScheme} ${path}: ${v}`));
        }
      } finally {
        await themed.close();
      }
    }
    expect(found).toEqual([]);
  }, 120_000);
});
