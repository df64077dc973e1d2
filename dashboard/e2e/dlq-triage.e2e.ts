/**
 * DLQ triage in Chromium (issue #18): real DLQ records on the broker, read by a real collector
 * poll, grouped by cause on the DLQ page and across every DLQ; an axe-core scan of both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from './axe.ts';
import { pathEndsWith, screenshot, type Browser } from './browser.ts';
import { launchAs, seedDlq, serveDlq, type DlqSeed } from './dlq-seed.ts';
import { type Served } from './serve.ts';

let seed: DlqSeed;
let served: Served;
let browser: Browser;

beforeAll(async () => {
  seed = await seedDlq([
    {
      errorClass: 'PaymentDeclinedError',
      messages: [17, 18, 19, 20, 21].map((n) => `card ending ${1000 + n} declined for order order-${n}`),
    },
    {
      errorClass: 'TimeoutError',
      messages: ['no answer from inventory after 3000 ms', 'no answer from inventory after 4500 ms'],
    },
    // A class named like an Object.prototype key is one cause like any other.
    { errorClass: 'constructor', messages: ['__proto__ is not a valid sku'] },
  ]);
  served = await serveDlq(seed);
  browser = await launchAs('viewer');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  await seed?.cleanup();
});

/** The Causes table in `scope`, once it shows `rows` causes: each row's text and its record count. */
async function causeRows(
  scope: ReturnType<Browser['page']['getByRole']>,
  rows: number,
): Promise<{ text: string[]; counts: string[] }> {
  const body = scope.getByRole('table', { name: 'Causes' }).locator('tbody tr');
  await expect.poll(() => body.count(), { timeout: 15_000 }).toBe(rows);
  return { text: await body.allTextContents(), counts: await body.locator('td.num').allTextContents() };
}

describe('DLQ triage in Chromium', () => {
  it('lists the causes of a DLQ with their counts, largest first, and passes axe', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/dlqs/${seed.dlqTopic}`);
    await page.getByRole('heading', { name: seed.dlqTopic }).waitFor();
    const { text: rows, counts } = await causeRows(page.getByRole('region', { name: 'Causes' }), 3);
    expect(counts).toEqual(['5', '2', '1']);
    expect(rows[0]).toContain('PaymentDeclinedError');
    // Numbers and ids taken out: five messages, one template.
    expect(rows[0]).toMatch(/PaymentDeclinedError.*card ending .*declined for order/);
    expect(rows[0]).not.toContain('1017 declined');
    expect(rows[1]).toContain('TimeoutError');
    expect(rows[2]).toContain('constructor');
    expect(rows.join(' ')).toContain(seed.group);
    // The trend says its numbers to a screen reader.
    const trend = page.getByRole('region', { name: 'Causes' }).getByRole('img').first();
    const perBucket = /oldest first: ([\d, ]+)$/.exec((await trend.getAttribute('aria-label')) ?? '')?.[1];
    expect(perBucket?.split(', ').reduce((sum, n) => sum + Number(n), 0)).toBe(5);
    await page.waitForFunction(() => !document.querySelector('.state-loading'), undefined, { timeout: 10_000 });
    expect(await scan(page)).toEqual([]);
    await screenshot(page, 'dlq-causes');
  });

  it('lists the causes across every DLQ with links to the DLQ', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/dlqs`);
    const region = page.getByRole('region', { name: 'Causes across every DLQ' });
    const { text: rows, counts } = await causeRows(region, 3);
    expect(counts).toEqual(['5', '2', '1']);
    expect(rows[0]).toContain(seed.dlqTopic);
    await region.getByRole('link', { name: seed.dlqTopic }).first().click();
    await page.waitForURL(pathEndsWith(`/dlqs/${seed.dlqTopic}`));
    await page.getByRole('heading', { name: seed.dlqTopic }).waitFor();
  });
});
