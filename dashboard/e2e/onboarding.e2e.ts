/**
 * What a newcomer's first pages say, in Chromium against a real collector that has heard from
 * no service yet: how to connect services (on the ports this collector is configured with) and
 * which topics become DLQs (its configured pattern); the panel goes once one span arrived, also
 * when that span lies outside the selected range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, screenshot, type Browser } from './browser.ts';
import { hex, sendSpans } from './seed.ts';
import { serve, type Served } from './serve.ts';

let served: Served;
let browser: Browser;

beforeAll(async () => {
  // Ports only named, never bound here (the harness listens on the main port alone).
  served = await serve('preview', { config: { otlpPort: 24318, otlpGrpcPort: 24317, dlqPattern: 'newcomer-*.dead' } });
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe('a newcomer in Chromium', () => {
  it('is told how to connect services and where DLQs come from, until a span arrives', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/`);
    const panel = page.getByRole('region', { name: 'Connect your services' });
    await panel.getByRole('heading', { name: 'No spans have arrived yet' }).waitFor();
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:24318');
    expect(text).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:24317');
    expect(text).not.toContain(':4318');
    expect(text).toContain('docs/instrumenting.md');
    const dlqTile = page.getByRole('region', { name: 'Dead-letter queues' });
    await dlqTile.getByText('newcomer-*.dead').waitFor();
    await screenshot(page, 'onboarding');

    await page.goto(`${served.url}/dlqs`);
    await page.getByText('No DLQ topics found.').waitFor();
    await page.getByText('newcomer-*.dead').waitFor();
    expect(await page.getByText('*.dlq').count()).toBe(0);

    // One publish timed two days back: not in the 15 min range, yet the collector has heard.
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await sendSpans(served, `order-${hex(8)}`, hex(16), [
      {
        service: 'order',
        kind: 'producer',
        topic: 'order.placed',
        eventId: hex(16),
        type: 'order.placed',
        startMs: twoDaysAgo,
        endMs: twoDaysAgo + 1,
        offset: 0,
      },
    ]);
    await page.goto(`${served.url}/?range=15m`);
    await page.getByText(/last span (just now|\d+ s ago)/).waitFor();
    expect(await panel.count()).toBe(0);
  });
});
