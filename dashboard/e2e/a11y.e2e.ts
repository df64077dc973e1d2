/**
 * Accessibility and small screens (issue #23, item 10), in Chromium: an axe-core scan for WCAG
 * AA colour contrast (and the rest of WCAG 2 A/AA that axe checks) of the main pages in the
 * light and the dark theme; at 390 px the header collapses, no page scrolls sideways and the
 * groups table shows its status and lag; a hop of the saga flow shows where keyboard focus is.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from './axe.ts';
import { launch, screenshot, type Browser } from './browser.ts';
import { seedSaga, type SeededSaga } from './seed.ts';
import { serve, type Served } from './serve.ts';

let served: Served;
let saga: SeededSaga;
const browsers: Browser[] = [];

beforeAll(async () => {
  served = await serve('preview');
  saga = await seedSaga(served);
}, 120_000);

afterAll(async () => {
  for (const b of browsers) await b.close();
  await served?.close();
});

async function open(options: Parameters<typeof launch>[0]): Promise<Page> {
  const b = await launch(options);
  browsers.push(b);
  return b.page;
}

const pages = (): [string, string | RegExp][] => [
  ['/', 'Overview'],
  ['/groups', 'Consumer groups'],
  ['/dlqs', 'Dead-letter queues'],
  ['/sagas', 'Sagas'],
  [`/sagas/${saga.correlationId}`, /Saga/],
  [`/events/${saga.events.placed}`, /Event/],
  ['/flows', 'Flow map'],
  ['/audit', 'Loss and duplicate audit'],
];

describe('accessibility', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no WCAG 2 AA violations axe-core finds, ${colorScheme} theme`, async () => {
      const page = await open({ colorScheme, width: 1280, height: 900 });
      const found: string[] = [];
      for (const [path, heading] of pages()) {
        await page.goto(`${served.url}${path}`);
        await page.getByRole('heading', { name: heading }).first().waitFor();
        await page.waitForFunction(() => !document.querySelector('.state-loading'), undefined, { timeout: 10_000 });
        found.push(...(await scan(page)).map((v) => `${path}: ${v}`));
      }
      expect(found).toEqual([]);
    }, 120_000);
  }

  it('at 390 px: the header collapses and no page scrolls sideways', async () => {
    const page = await open({ width: 390, height: 844 });
    for (const [path, heading] of pages()) {
      await page.goto(`${served.url}${path}`);
      await page.getByRole('heading', { name: heading }).first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} is ${overflow} px wider than the screen`).toBeLessThanOrEqual(0);
      // Every header item is on screen: the nav scrolls within its own row instead of widening the page.
      const header = await page.getByRole('banner').evaluate((h) => h.getBoundingClientRect().right);
      expect(header).toBeLessThanOrEqual(390);
      if (path === '/') await screenshot(page, 'overview-390');
    }
    // The search box stays usable.
    const box = await page.getByRole('searchbox').boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(150);
  });

  it('shows where keyboard focus is on a saga hop, distinct from the selected hop', async () => {
    const page = await open({ width: 1280, height: 900 });
    await page.goto(`${served.url}/sagas/${saga.correlationId}`);
    const hop = page.getByRole('button', { name: /^inventory\.released/ });
    await hop.waitFor();
    const ring = () =>
      hop.evaluate((g) => {
        const bar = g.querySelector('rect.processing');
        const s = bar ? getComputedStyle(bar) : null;
        return { stroke: s?.stroke ?? '', width: s?.strokeWidth ?? '' };
      });
    const before = await ring();
    await page.keyboard.press('Tab');
    await hop.focus();
    // Focus moved by keyboard: :focus-visible applies.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await hop.evaluate((g) => g === document.activeElement && g.matches(':focus-visible'))).toBe(true);
    const focused = await ring();
    expect(focused).not.toEqual(before);
    expect(parseFloat(focused.width)).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'saga-hop-focus');
  });
});
