/**
 * One collector watching two real Kafka clusters (the 4.x broker of KAFKA_BROKERS as `main`,
 * the 3.9 broker of ES_COMPAT_KAFKA_BROKERS as `compat`) and a third that is not there (`gone`,
 * a closed port). The same group name lags by 40 records on main and by 15 on compat: the
 * dashboard's cluster switcher shows each cluster's figure, the pick stays in the URL from page
 * to page, every page says which cluster, and the cluster that is away shows why. A DLQ on compat
 * only is on compat's DLQ page, its group linked on compat.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from './axe.ts';
import { launch, screenshot, type Browser } from './browser.ts';
import { DASHBOARD_DIR, serve, type Served } from './serve.ts';

const suffix = randomUUID().slice(0, 8);
const prefix = `es-clu-${suffix}`;
const topic = `${prefix}-orders`;
/** The same name on both clusters: two different groups. */
const group = `${prefix}-billing`;
/** On compat only: one record the group dead-lettered. */
const dlqTopic = `${prefix}.dlq`;

/** The little of devstack's broker handle the test uses (kept structural, as serve.ts does for the collector). */
interface BrokerHandle {
  brokers: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

/** The 3.9 broker `npm test` hands over; a lone run starts one of its own with devstack, stopped after. */
async function compatBrokers(): Promise<{ brokers: string; own?: BrokerHandle }> {
  const given = process.env.ES_COMPAT_KAFKA_BROKERS;
  if (given) return { brokers: given };
  const devstack = resolve(DASHBOARD_DIR, '../devstack/src/index.ts');
  const { ensureKafka } = (await import(/* @vite-ignore */ devstack)) as {
    ensureKafka: (o: {
      version: string;
      port: number;
      controllerPort: number;
      fresh: boolean;
      instance: string;
    }) => Promise<BrokerHandle>;
  };
  const own = await ensureKafka({
    version: '3.9.1',
    port: await freePort(),
    controllerPort: await freePort(),
    fresh: true,
    instance: 'dashboard-clusters-e2e',
  });
  return { brokers: own.brokers, own };
}

interface Side {
  admin: Admin;
}
const sides: Side[] = [];

/**
 * `records` records in one partition of the topic, and the group committed at `committed`, no
 * members; with `dlq`, the DLQ topic with one record the group dead-lettered.
 */
async function prepare(brokers: string, records: number, committed: number, dlq = false): Promise<void> {
  const kafka = new Kafka({
    clientId: 'eventscope-dashboard-e2e-clusters',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  sides.push({ admin });
  const topics = dlq ? [topic, dlqTopic] : [topic];
  await admin.createTopics({ topics: topics.map((t) => ({ topic: t, numPartitions: 1 })) });
  const deadline = Date.now() + 20_000;
  for (const t of topics) {
    for (;;) {
      try {
        await admin.fetchTopicOffsets(t);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  const producer = kafka.producer({ idempotent: true }); // a retry adds no copies
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: records }, (_, i) => ({ value: `r${i}` })) });
  if (dlq) {
    const headers = { 'dlq-original-topic': topic, 'dlq-consumer-group': group, 'dlq-error-class': 'CompatError' };
    await producer.send({ topic: dlqTopic, messages: [{ value: 'r0', headers }] });
  }
  await producer.disconnect();
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: String(committed) }] });
}

let compat: { brokers: string; own?: BrokerHandle } | undefined;
let served: Served;
let browser: Browser;

beforeAll(async () => {
  compat = await compatBrokers();
  await prepare(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', 50, 10);
  await prepare(compat.brokers, 20, 5, true);
  served = await serve('collector', {
    background: true,
    config: {
      kafkaClusterName: 'main',
      kafkaClusters: [
        { name: 'compat', brokers: compat.brokers.split(',') },
        { name: 'gone', brokers: [`127.0.0.1:${await freePort()}`] },
      ],
      groupsInclude: `${prefix}*`,
      pollIntervalMs: 500,
    },
  });
  // Until both clusters' polls report the group with its lag.
  const deadline = Date.now() + 90_000;
  for (const [name, lag] of [
    ['main', 40],
    ['compat', 15],
  ] as const) {
    for (;;) {
      const res = await served.collector.inject({ method: 'GET', url: `/api/groups?cluster=${name}` });
      const groups =
        res.statusCode === 200 ? (JSON.parse(res.body) as { groups: { group: string; lag: number }[] }).groups : [];
      if (groups.some((g) => g.group === group && g.lag === lag)) break;
      if (Date.now() > deadline) throw new Error(`cluster ${name} did not report ${group} ${lag} behind: ${res.body}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  browser = await launch({ width: 1440, height: 900 });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  for (const { admin } of sides) {
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
  }
  await compat?.own?.stop();
});

describe('several Kafka clusters', () => {
  it('switches between two real clusters, keeps the pick across pages, and shows the one that is away', async () => {
    const { page } = browser;
    const note = () => page.getByTitle('The Kafka cluster these figures come from');
    /** The group's lag in messages, as the groups table shows it. */
    const lagCell = () =>
      page
        .getByRole('table', { name: 'Consumer groups' })
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: group, exact: true }) })
        .locator('td.num')
        .first();

    await page.goto(`${served.url}/groups`);
    const picker = page.getByRole('banner').getByRole('combobox', { name: 'Kafka cluster' });
    await picker.waitFor();
    expect(await picker.inputValue()).toBe('main');
    expect(await picker.locator('option').allTextContents()).toEqual([
      'main (primary)',
      'compat',
      'gone · not connected',
    ]);
    await expect.poll(() => lagCell().textContent(), { timeout: 30_000 }).toBe('40');
    expect(await note().textContent()).toBe('cluster main');

    await picker.selectOption('compat');
    await expect.poll(() => new URL(page.url()).searchParams.get('cluster')).toBe('compat');
    await expect.poll(() => lagCell().textContent(), { timeout: 30_000 }).toBe('15');
    expect(await note().textContent()).toBe('cluster compat');
    await screenshot(page, 'clusters-groups-compat');

    // The group page of compat's group, then the overview: the pick goes along.
    await page.getByRole('link', { name: group, exact: true }).click();
    await page.getByRole('heading', { name: group }).waitFor();
    expect(new URL(page.url()).searchParams.get('cluster')).toBe('compat');
    await expect.poll(() => note().textContent(), { timeout: 30_000 }).toBe('cluster compat');
    expect(await page.getByRole('region', { name: 'Partitions' }).textContent()).toContain('15');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).searchParams.get('cluster')).toBe('compat');
    await expect.poll(() => note().textContent(), { timeout: 30_000 }).toBe('cluster compat');
    expect(await page.getByRole('region', { name: 'Worst consumer groups' }).textContent()).toContain(group);
    expect(await picker.inputValue()).toBe('compat');

    // compat's DLQ page: its DLQ (main has none of the name), the group linked on compat.
    await page.goto(`${served.url}/dlqs?cluster=compat`);
    const dlqs = page.getByRole('table', { name: 'DLQ topics' });
    await expect.poll(() => dlqs.getByRole('link', { name: dlqTopic }).count(), { timeout: 30_000 }).toBe(1);
    expect(await note().textContent()).toBe('cluster compat');
    expect(await dlqs.getByRole('link', { name: group, exact: true }).getAttribute('href')).toBe(
      `/groups/${group}?cluster=compat`,
    );

    // The cluster nobody answers for: the header says it is not connected, and why.
    await picker.selectOption('gone');
    const problem = page.getByRole('alert').filter({ hasText: 'Kafka cluster gone is not connected.' });
    await problem.waitFor({ timeout: 30_000 });
    expect(await problem.textContent()).toMatch(/127\.0\.0\.1:\d+/);
    await screenshot(page, 'clusters-gone');
    // The picker and the problem pass axe's WCAG 2 AA checks, and fit a phone's width.
    expect(await scan(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect((await picker.boundingBox())?.width ?? 0).toBeGreaterThan(80);
    await screenshot(page, 'clusters-gone-390');
    await page.setViewportSize({ width: 1440, height: 900 });

    // Back on main: its own figure again, no problem shown.
    await picker.selectOption('main');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Consumer groups' }).click();
    await expect.poll(() => lagCell().textContent(), { timeout: 30_000 }).toBe('40');
    expect(await page.getByRole('alert').count()).toBe(0);
  });
});
