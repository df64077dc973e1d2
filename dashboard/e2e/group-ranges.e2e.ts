/**
 * A consumer group on 9 topics (27 partitions) with a live member, and a DLQ, on the real
 * broker: the group page fits the window and draws the worst partitions, and every time chart
 * (group, DLQ) zooms by a drag and takes a custom range, with straight lines (issue #23 items
 * 7 and 8).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, screenshot, type Browser } from './browser.ts';
import { serve, type Served } from './serve.ts';

const suffix = randomUUID().slice(0, 8);
const group = `es-fm-${suffix}-group`;
const topics = Array.from({ length: 9 }, (_, i) => `es-fm-${suffix}-orders-with-a-rather-long-topic-name-${i}`);
const dlqTopic = `${group}.dlq`;

const kafka = new Kafka({
  clientId: 'eventscope-dashboard-e2e-ranges',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
let consumer: Consumer;
let served: Served;
let browser: Browser;

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [...topics.map((topic) => ({ topic, numPartitions: 3 })), { topic: dlqTopic, numPartitions: 1 }],
  });
  // Idempotent: a retried produce request must not add copies (the lags below are exact).
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  // Partition p of topic i gets 2 + 3i + p records: 27 different lags.
  await producer.sendBatch({
    topicMessages: [
      ...topics.map((topic, i) => ({
        topic,
        messages: [0, 1, 2].flatMap((partition) =>
          Array.from({ length: 2 + 3 * i + partition }, (_, n) => ({ partition, value: `r${n}` })),
        ),
      })),
      {
        topic: dlqTopic,
        messages: [{ value: '{}', headers: { 'dlq-error-class': 'BoomError', 'dlq-consumer-group': group } }],
      },
    ],
  });
  await producer.disconnect();
  // The member reads but commits only offset 1 everywhere (once it has joined), so the lag stays.
  // (admin.setOffsets joins the group per call: 5 s a topic.)
  consumer = kafka.consumer({ groupId: group });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  await joined;
  await consumer.commitOffsets(
    topics.flatMap((topic) => [0, 1, 2].map((partition) => ({ topic, partition, offset: '1' }))),
  );
  served = await serve('collector', {
    background: true,
    config: { pollIntervalMs: 500, groupsInclude: `es-fm-${suffix}*` },
  });
  // Until the collector's poll has seen the member and its 27 partitions (a page opened before
  // would show the group's 404).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await served.collector.inject({ method: 'GET', url: `/api/groups/${group}` });
    if (res.statusCode === 200) {
      const g = (JSON.parse(res.body) as { group: { members: unknown[]; partitions: unknown[] } }).group;
      if (g.members.length === 1 && g.partitions.length === 27) break;
    }
    if (Date.now() > deadline) throw new Error(`the collector did not report ${group}: ${res.statusCode} ${res.body}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await launch({ width: 1440, height: 900 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await consumer?.disconnect().catch(() => undefined);
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [...topics, dlqTopic] }).catch(() => undefined);
  await admin.disconnect();
});

/** Drags across a chart's plot from 25% to 75% of its width. */
async function dragAcross(browserPage: Browser['page'], chartName: string): Promise<void> {
  const surface = browserPage.getByRole('figure', { name: chartName }).locator('.recharts-cartesian-grid');
  const box = (await surface.boundingBox())!;
  const y = box.y + box.height / 2;
  await browserPage.mouse.move(box.x + box.width * 0.25, y, { steps: 2 });
  await browserPage.mouse.down();
  await browserPage.mouse.move(box.x + box.width * 0.75, y, { steps: 8 });
  await browserPage.mouse.up();
}

/** Epoch ms as an `<input type="datetime-local">` value, local time. */
const pad = (n: number) => String(n).padStart(2, '0');
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One publish to `topic` and its delivery to `group` (5 ms queue), as OTLP/HTTP JSON spans. */
async function sendHop(topic: string, producer: string, service: string): Promise<void> {
  const hex = (n: number) => randomBytes(n).toString('hex');
  const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
  const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const eventId = randomUUID();
  const traceId = hex(16);
  const t = Date.now() - 2000;
  const span = (svc: string, kind: 4 | 5, start: number, extra: { key: string; value: { stringValue: string } }[]) => ({
    resource: { attributes: [attr('service.name', svc)] },
    scopeSpans: [
      {
        spans: [
          {
            traceId,
            spanId: hex(8),
            name: `${kind === 4 ? 'send' : 'process'} ${topic}`,
            kind,
            startTimeUnixNano: ns(start),
            endTimeUnixNano: ns(start + 2),
            attributes: [
              attr('messaging.system', 'kafka'),
              attr('messaging.destination.name', topic),
              attr('messaging.destination.partition.id', '2'),
              attr('messaging.message.id', eventId),
              attr('eventscope.event.type', 'order.placed'),
              ...extra,
            ],
          },
        ],
      },
    ],
  });
  const res = await served.collector.inject({
    method: 'POST',
    url: '/v1/traces',
    headers: { 'content-type': 'application/json' },
    payload: {
      resourceSpans: [
        span(producer, 4, t, []),
        span(service, 5, t + 5, [
          attr('messaging.consumer.group.name', group),
          attr('eventscope.outcome', 'processed'),
        ]),
      ],
    },
  });
  expect(res.statusCode).toBe(200);
  await served.collector.intake.flush();
}

const windowOf = (url: string) => {
  const u = new URL(url);
  return { from: Number(u.searchParams.get('from')), to: Number(u.searchParams.get('to')) };
};

describe('group page with many topics, and time ranges, in Chromium', () => {
  it('fits the window and draws the 5 worst of 27 partitions plus "others"', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/groups/${group}`);
    const members = page.getByRole('region', { name: 'Members' });
    await members.getByText('9 topics, 27 partitions').waitFor({ timeout: 60_000 });
    await page.getByTestId('partition-caption').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('partition-caption').textContent()).toContain('Top 5 of 27 partitions by lag');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const chart = page.getByRole('figure', { name: 'Lag per partition' });
    expect(await chart.locator('.recharts-line').count()).toBe(6);
    expect((await chart.locator('.recharts-wrapper').boundingBox())!.height).toBeGreaterThanOrEqual(280);
    // The worst partition (topic 8, partition 2: 25 records, committed at 1) is drawn by name.
    expect(await chart.textContent()).toContain(`${topics[8]}/2`);
    await screenshot(page, 'group-detail-many-topics');
  });

  it('zooms a group chart by a drag, with straight lines, and takes a custom range', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/groups/${group}`);
    const chart = page.getByRole('figure', { name: 'Lag per topic' });
    // A few polls (every 500 ms) make a line worth zooming into.
    await expect
      .poll(
        async () => (await chart.locator('.recharts-line-curve').first().getAttribute('d'))?.split('L').length ?? 0,
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThanOrEqual(4);
    for (const d of await chart.locator('.recharts-line-curve').evaluateAll((ps) => ps.map((p) => p.getAttribute('d'))))
      expect(d, 'a straight-segment path, no curves').toMatch(/^M[\d.,\sLM-]+$/);

    await dragAcross(page, 'Lag per topic');
    await page.waitForURL(/from=\d+&to=\d+/);
    const w = windowOf(page.url());
    expect(w.to).toBeGreaterThan(w.from);
    await expect.poll(() => page.getByRole('button', { name: 'Custom' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('range-window').waitFor();

    // A custom range typed in the form.
    await page.getByRole('button', { name: 'Custom' }).click();
    const form = page.getByRole('form', { name: 'Custom time range' });
    const from = Date.now() - 600_000;
    const fromS = Math.floor(from / 1000) * 1000;
    await form.getByLabel('From').fill(toLocalInput(fromS));
    await form.getByLabel('To').fill(toLocalInput(fromS + 300_000));
    await form.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => windowOf(page.url())).toEqual({ from: fromS, to: fromS + 300_000 });
    // A preset clears it.
    await page.getByRole('button', { name: '15 min' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.has('from')).toBe(false);
  });

  it('has a range picker and drag-to-zoom on the DLQ page too', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/dlqs`);
    await page
      .getByRole('table', { name: 'DLQ topics' })
      .getByRole('link', { name: dlqTopic, exact: true })
      .click({ timeout: 30_000 });
    await page.getByRole('group', { name: 'Time range' }).waitFor();
    const chart = page.getByRole('figure', { name: 'DLQ depth' });
    await expect
      .poll(
        async () => (await chart.locator('.recharts-line-curve').first().getAttribute('d'))?.split('L').length ?? 0,
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThanOrEqual(4);
    await dragAcross(page, 'DLQ depth');
    await page.waitForURL(/from=\d+&to=\d+/);
    await expect.poll(() => page.getByRole('button', { name: 'Custom' }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'dlq-detail-zoomed');
  });

  it("colours the flow map's consume edge by the group's lag, and its panel links the DLQ", async () => {
    const { page } = browser;
    const service = `svc-${suffix}`;
    await sendHop(topics[8]!, `producer-${suffix}`, service);
    await page.goto(`${served.url}/flows?node=${encodeURIComponent(`service:${service}`)}`);
    const edge = page.locator(`path.edge-line[data-edge="topic:${topics[8]} -> service:${service} (${group})"]`);
    // 5 ms of queue time is healthy; 24 records and a minute behind are not.
    await expect.poll(() => edge.getAttribute('class'), { timeout: 30_000 }).toMatch(/health-(warn|bad)/);
    // The label says why: the lag in time beside the rate.
    const label = page.locator(`g.edge-label[data-edge="topic:${topics[8]} -> service:${service} (${group})"]`);
    expect(await label.textContent()).toMatch(/lag \d/);
    const panel = page.getByRole('complementary', { name: 'Node details' });
    await panel.getByRole('link', { name: dlqTopic }).waitFor({ timeout: 30_000 });
    expect(await panel.textContent()).toMatch(/(WARN|STALL|STOP)\s*\d+ msgs/);
    expect(await panel.getByRole('link', { name: group, exact: true }).getAttribute('href')).toBe(
      `/groups/${group}?cluster=default`,
    );
    await screenshot(page, 'flow-map-lag');
  });
});
