/**
 * DLQ redrive in Chromium (issue #18), against a real collector and broker: an operator dry runs
 * a redrive (count and sample), starts it, follows its progress to completion and its outcome,
 * finds the records marked as redriven, and cancels a slow one; a masked payload field is shown in
 * clear only when an operator asks; a viewer gets no redrive or unmask button.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from './axe.ts';
import { screenshot, type Browser } from './browser.ts';
import { launchAs, pollOnce, seedDlq, serveDlq, TOKENS, type DlqSeed } from './dlq-seed.ts';
import { type Served } from './serve.ts';

const RECORDS = 12;
let seed: DlqSeed;
let served: Served;
let operator: Browser;
let viewer: Browser;

beforeAll(async () => {
  seed = await seedDlq([
    {
      errorClass: 'InventoryUnavailableError',
      messages: Array.from({ length: RECORDS }, (_, i) => `sku-${i} out of stock in warehouse ${i % 3}`),
    },
  ]);
  served = await serveDlq(seed, { maskFields: ['$.amountCents'] });
  [operator, viewer] = await Promise.all([launchAs('operator'), launchAs('viewer')]);
}, 120_000);

afterAll(async () => {
  await operator?.close();
  await viewer?.close();
  await served?.close();
  await seed?.cleanup();
});

/** The DLQ page with its records on screen. */
async function openDlq(page: Page): Promise<void> {
  await page.goto(`${served.url}/dlqs/${seed.dlqTopic}`);
  await page.getByRole('heading', { name: seed.dlqTopic }).waitFor();
  await page.getByRole('region', { name: 'Latest records' }).locator('details.record').first().waitFor();
}

/** Opens the redrive dialog for every record, to the group's retry topic, at `rate` per second. */
async function openDialog(page: Page, rate: number) {
  await page.getByRole('button', { name: 'Redrive…', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Redrive records of ${seed.dlqTopic}` });
  await dialog.getByRole('radio', { name: /every record/ }).check();
  await dialog.getByRole('radio', { name: /retry topic/ }).check();
  await dialog.getByRole('spinbutton', { name: /Rate limit/ }).fill(String(rate));
  return dialog;
}

describe('DLQ redrive in Chromium', () => {
  it('dry runs (count and sample), then redrives with progress to completion and the outcome', async () => {
    const { page } = operator;
    await openDlq(page);
    const dialog = await openDialog(page, 20);
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    const result = dialog.getByRole('region', { name: 'Dry run' });
    await result.getByText(`${RECORDS} records match`).waitFor();
    const sample = dialog.getByRole('table', { name: 'Dry run sample' }).locator('tbody tr');
    const sampled = await sample.count();
    expect(sampled).toBeGreaterThan(0);
    expect(sampled).toBeLessThanOrEqual(10);
    expect(await sample.first().textContent()).toContain('InventoryUnavailableError');
    expect(await scan(page)).toEqual([]);
    await screenshot(page, 'dlq-redrive-dry-run');

    await dialog.getByRole('button', { name: `Redrive ${RECORDS} records` }).click();
    await page.waitForURL(/\/redrives\/[^/]+$/);
    const progress = page.getByRole('progressbar', { name: 'Records redriven' });
    await progress.waitFor();
    // Done when every selected record is sent: the stream brings it, no reload.
    await page
      .getByRole('region', { name: 'Progress' })
      .getByText(/completed/)
      .waitFor({ timeout: 30_000 });
    expect(await progress.getAttribute('value')).toBe(String(RECORDS));
    expect(await page.getByRole('region', { name: 'Progress' }).textContent()).toContain(
      `${RECORDS} of ${RECORDS} sent (100%)`,
    );
    // Nothing consumed the retry topic: every record is still waiting for its delivery.
    expect(await page.getByRole('region', { name: 'Outcome' }).textContent()).toContain(
      `0 processed, 0 back in the DLQ, ${RECORDS} pending`,
    );
    const details = page.getByRole('region', { name: 'Details' });
    expect(await details.textContent()).toContain(`${TOKENS.operator.name}`);
    expect(await page.getByRole('button', { name: 'Cancel redrive' }).count()).toBe(0);
    expect(await scan(page)).toEqual([]);
    await screenshot(page, 'redrive-completed');
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');

    // The list shows it with its outcome; the DLQ's records are marked as redriven by it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Redrives' }).click();
    const row = page.getByRole('table', { name: 'Redrives' }).locator('tbody tr').filter({ hasText: seed.dlqTopic });
    // The list may first show what it cached while the redrive ran, then its refetch: wait for it.
    await row.filter({ hasText: 'completed' }).first().waitFor({ timeout: 30_000 });
    await pollOnce(served);
    await openDlq(page);
    const marks = page.getByRole('region', { name: 'Latest records' }).getByRole('link', { name: /^redriven/ });
    await expect.poll(() => marks.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await marks.first().getAttribute('href')).toBe(`/redrives/${encodeURIComponent(id)}`);
  });

  it('cancels a running redrive', async () => {
    const { page } = operator;
    await openDlq(page);
    // One record a second: the redrive runs far longer than the click takes.
    const dialog = await openDialog(page, 1);
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    await dialog.getByRole('button', { name: `Redrive ${RECORDS} records` }).click();
    await page.waitForURL(/\/redrives\/[^/]+$/);
    await page.getByRole('button', { name: 'Cancel redrive' }).click();
    const progress = page.getByRole('region', { name: 'Progress' });
    await progress.getByText(/cancelled/).waitFor();
    const sent = Number(/(\d+) of \d+ sent/.exec((await progress.textContent()) ?? '')?.[1]);
    expect(sent).toBeLessThan(RECORDS);
    expect(await page.getByRole('button', { name: 'Cancel redrive' }).count()).toBe(0);

    // Both redrives and the cancel are in the audit log, by the operator.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    const entries = page.getByRole('region', { name: 'Audit log entries' }).locator('tbody tr');
    const cancelled = entries.filter({ hasText: 'dlq.redrive.cancel' });
    await cancelled.first().waitFor();
    expect(await cancelled.first().textContent()).toContain(TOKENS.operator.name);
    expect(await entries.filter({ hasText: /dlq\.redrive\s*\S*started/ }).count()).toBeGreaterThanOrEqual(2);
  });

  it('masks a configured payload field until an operator asks to see it in clear', async () => {
    const { page } = operator;
    await openDlq(page);
    const payload = page.getByRole('region', { name: 'Latest records' }).locator('pre.payload').first();
    expect(await payload.textContent()).toContain('"amountCents": "***"');
    const toggle = page.getByRole('button', { name: 'Show masked values' });
    await toggle.click();
    await page.getByText(/Masked values in clear/).waitFor();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => payload.textContent(), { timeout: 10_000 }).toMatch(/"amountCents": \d+/);
  });

  it('shows a viewer the causes and the redrives but no redrive or cancel button', async () => {
    const { page } = viewer;
    await openDlq(page);
    await page.getByRole('table', { name: 'Causes' }).locator('tbody tr').first().waitFor();
    // The mark button is there (disabled): the page knows the role by now.
    expect(await page.getByRole('button', { name: 'Set mark now' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: /Redrive/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Show masked values' }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    await page.goto(`${served.url}/redrives`);
    const first = page.getByRole('table', { name: 'Redrives' }).getByRole('link').first();
    await first.click();
    await page.getByRole('progressbar', { name: 'Records redriven' }).waitFor();
    expect(await page.getByRole('button', { name: 'Cancel redrive' }).count()).toBe(0);
  });
});
