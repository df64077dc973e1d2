/**
 * Browser tests: the built dashboard in Debian's Chromium, against a real collector app fed
 * with OTLP spans of one saga. Screenshots of each main page go to test-output/screenshots/.
 * The same paths against live demo traffic: demo.e2e.ts.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coveredHopBars, launch, screenshot, type Browser } from './browser.ts';
import { createKafkaFixture } from './kafka-fixture.ts';
import { seedCrossingSaga, seedDenseSaga, seedSaga, type SeededSaga } from './seed.ts';
import { DIST_DIR, serve, type Served } from './serve.ts';

let served: Served;
let browser: Browser;
let saga: SeededSaga;

beforeAll(async () => {
  served = await serve('preview');
  saga = await seedSaga(served);
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe('dashboard in Chromium', () => {
  it('finds an event with the "/" search and shows where it is', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/`);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.keyboard.press('/');
    const box = page.getByRole('searchbox', { name: /Search by event id/ });
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type(saga.events.placed);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/events/${saga.events.placed}`);
    const where = page.getByRole('region', { name: 'Where is it' });
    await where.getByRole('heading', { name: 'Processed by 2 of 2 groups' }).waitFor();
    expect(await where.getByRole('link', { name: 'inventory' }).count()).toBe(1);
    expect(await where.getByRole('link', { name: 'payments' }).count()).toBe(1);
    await screenshot(page, 'event-lookup');
  });

  it('shows the saga as a flow diagram with lanes per service and marked steps', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/search?q=${saga.correlationId}`);
    await page.waitForURL(`**/sagas/${saga.correlationId}`);
    const diagram = page.getByRole('group', { name: /Saga flow: 4 services/ });
    await diagram.waitFor();
    for (const service of saga.services) expect(await diagram.getByTestId(`lane-${service}`).count()).toBe(1);
    const declined = diagram.getByRole('button', {
      name: /payment\.declined from payments, to orchestrator, dead-lettered/,
    });
    expect(await declined.getAttribute('class')).toContain('failed');
    expect(await declined.textContent()).toContain('×3');
    const released = diagram.getByRole('button', { name: /inventory\.released .*compensation/ });
    expect(await released.getAttribute('class')).toContain('compensation');
    // Every bar takes its own clicks: no other hop's arrow, label or hit area lies on one.
    expect(await coveredHopBars(page)).toEqual([]);
    // Click where a person would: the processing bar of that hop.
    await declined.locator('rect.processing').click();
    await page.waitForURL(/hop=/);
    const details = page.getByRole('region', { name: 'Hop details' });
    await details.getByRole('link', { name: saga.traceId }).waitFor();
    expect(await details.getByRole('link', { name: 'orchestrator.dlq' }).count()).toBe(1);
    await screenshot(page, 'saga-flow');
  });

  it("takes a click on a hop bar for that hop, also where another hop's arrow crosses it", async () => {
    const { page } = browser;
    const corr = await seedCrossingSaga(served);
    await page.goto(`${served.url}/sagas/${corr}`);
    const crossed = page.getByRole('button', { name: /^to-b\.sent from a, to b/ });
    await crossed.waitFor();
    expect(await coveredHopBars(page)).toEqual([]);
    await crossed.locator('rect.processing').click();
    await page.waitForURL(/hop=/);
    // The router changes the URL first and renders the selection after it (in a transition): wait
    // for a hop to show pressed, then check that it is this one (a click on another hop's hit area
    // would press that hop instead).
    const pressed = page.locator('g.hop[aria-pressed="true"]');
    await pressed.first().waitFor();
    expect(await pressed.getAttribute('data-testid')).toBe(await crossed.getAttribute('data-testid'));
  });

  it('lays out a saga of hops 1 µs apart without overlapping or clipped labels', async () => {
    const { page } = browser;
    const corr = await seedDenseSaga(served);
    await page.goto(`${served.url}/sagas/${corr}`);
    const svg = page.getByRole('group', { name: /^Saga flow: 4 services, 21 hops/ });
    await svg.waitFor();
    const { labels, box } = await svg.evaluate((el) => {
      const r = (e: Element) => {
        const b = e.getBoundingClientRect();
        return { x1: b.left, y1: b.top, x2: b.right, y2: b.bottom, text: e.textContent ?? '' };
      };
      return { labels: [...el.querySelectorAll('.hop-label')].map(r), box: r(el) };
    });
    expect(labels).toHaveLength(21);
    const overlaps: string[] = [];
    for (const [i, a] of labels.entries()) {
      expect(a.x1 >= box.x1 && a.x2 <= box.x2 && a.y1 >= box.y1 && a.y2 <= box.y2, `${a.text} inside the SVG`).toBe(
        true,
      );
      for (const b of labels.slice(i + 1)) {
        if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) overlaps.push(`${a.text} / ${b.text}`);
      }
    }
    expect(overlaps).toEqual([]);
    expect(await coveredHopBars(page)).toEqual([]);
    expect(await page.getByTestId('axis-compressed').textContent()).toContain('Compressed time axis');
  });

  it('lists the saga, and opens every main page with a state that says what to do', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/sagas`);
    await page.getByRole('link', { name: saga.correlationId }).waitFor();
    expect(await page.getByRole('table', { name: 'Sagas' }).textContent()).toContain('failed');
    await screenshot(page, 'sagas');

    await page.goto(`${served.url}/flows`);
    const map = page.getByRole('group', { name: 'Flow map' });
    await map.waitFor();
    expect(await map.textContent()).toContain('orchestrator');
    await screenshot(page, 'flow-map');

    // No Kafka poll in this harness (background: false): the pages say so instead of failing.
    await page.goto(`${served.url}/groups`);
    await page.getByText(/has not finished its first Kafka poll/).waitFor();
    await screenshot(page, 'groups');

    await page.goto(`${served.url}/dlqs`);
    await page.getByText('No DLQ topics found.').waitFor();
    await screenshot(page, 'dlqs');

    await page.goto(`${served.url}/`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await screenshot(page, 'overview');
  });

  it('fits 1280 px and a 1366 x 768 laptop without sideways scrolling', async () => {
    const { page } = browser;
    for (const size of [
      { width: 1280, height: 800 },
      { width: 1366, height: 768 },
    ]) {
      await page.setViewportSize(size);
      for (const path of ['/', '/sagas', `/sagas/${saga.correlationId}`, `/events/${saga.events.placed}`]) {
        await page.goto(`${served.url}${path}`);
        await page.getByRole('main').locator('h1').first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path} at ${size.width}px`).toBeLessThanOrEqual(0);
      }
    }
  });

  it('follows the system dark theme', async () => {
    const dark = await launch({ colorScheme: 'dark' });
    try {
      await dark.page.goto(`${served.url}/sagas/${saga.correlationId}`);
      await dark.page.getByRole('group', { name: /Saga flow/ }).waitFor();
      const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe('rgb(15, 18, 22)');
      await screenshot(dark.page, 'saga-flow-dark');
    } finally {
      await dark.close();
    }
    const light = await browser.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(light).toBe('rgb(246, 247, 249)');
  });

  it('with Kafka polling on, shows a lagging group and the poison record in its DLQ', async () => {
    const kafka = await createKafkaFixture();
    const live = await serve('collector', { background: true });
    try {
      const { page } = browser;
      await page.goto(`${live.url}/groups?q=${kafka.group}`);
      // The first poll finishes within seconds; the SSE `snapshot` event updates the page.
      const link = page.getByRole('link', { name: kafka.group, exact: true });
      await link.waitFor({ timeout: 30_000 });
      const row = page.getByRole('row').filter({ has: link });
      expect(await row.textContent()).toContain('40');
      await screenshot(page, 'groups-live');
      await link.click();
      await page.getByRole('heading', { name: kafka.group }).waitFor();
      const partitions = page.getByRole('region', { name: 'Partitions' });
      await partitions.waitFor();
      expect(await partitions.textContent()).toContain('unassigned');
      await screenshot(page, 'group-detail-live');

      // Through the DLQ list: a direct load of /dlqs/<topic>.dlq is answered 404 by the collector's
      // SPA fallback today (it treats ".dlq" as a file extension); reported to the collector.
      await page.goto(`${live.url}/dlqs`);
      await page
        .getByRole('table', { name: 'DLQ topics' })
        .getByRole('link', { name: kafka.dlqTopic, exact: true })
        .click({ timeout: 30_000 });
      const records = page.getByRole('region', { name: 'Latest records' });
      // (the error class also appears as an <option> of the filter, never "visible": wait on the record itself)
      await records
        .locator('summary', { hasText: 'PoisonRecordError' })
        .waitFor({ timeout: 30_000 })
        .catch(async (err: unknown) => {
          await screenshot(page, 'failure-dlq-detail');
          throw err;
        });
      expect(await records.textContent()).toContain('injected poison record for the dashboard browser test');
      expect(await records.textContent()).toContain('"amountCents": 1999');
      expect(await page.getByRole('list', { name: 'Error reasons' }).textContent()).toContain('PoisonRecordError');
      await screenshot(page, 'dlq-detail-live');

      await page.goto(`${live.url}/`);
      await page.getByText(/Kafka snapshot/).waitFor();
      await screenshot(page, 'overview-live');
    } finally {
      await live.close();
      await kafka.cleanup();
    }
  });

  it('passes its Content-Security-Policy on every page when the collector serves it, Swagger UI too', async () => {
    // A copy of the build: a build started meanwhile by another test run empties dist/, and a
    // page whose lazy chunk is gone never shows its heading.
    const dist = mkdtempSync(join(tmpdir(), 'eventscope-dist-'));
    cpSync(DIST_DIR, dist, { recursive: true });
    const own = await serve('collector', { config: { dashboardDir: dist } });
    const page = await browser.context.newPage();
    // Every CSP report of the page, from the DOM event and from the console.
    await page.addInitScript(() => {
      const w = window as unknown as { cspViolations: string[] };
      w.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    const consoleCsp: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) consoleCsp.push(m.text());
    });
    try {
      const seeded = await seedSaga(own);
      const visits: [string, string | RegExp][] = [
        ['/', 'Overview'],
        ['/groups', 'Consumer groups'],
        ['/dlqs', 'Dead-letter queues'],
        ['/sagas', 'Sagas'],
        [`/sagas/${seeded.correlationId}`, new RegExp(seeded.correlationId)],
        [`/events/${seeded.events.placed}`, /Event/],
        ['/flows', 'Flow map'],
        ['/audit', 'Loss and duplicate audit'],
        ['/audit-log', 'Audit log'],
      ];
      for (const [path, heading] of visits) {
        const res = await page.goto(`${own.url}${path}`);
        expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
        await page.getByRole('heading', { name: heading }).first().waitFor();
      }
      // Swagger UI has its own policy (see collector/src/auth/headers.ts): it renders the API's operations.
      await page.goto(`${own.url}/docs/`);
      await page.locator('.opblock-summary-path').first().waitFor();
      expect(await page.locator('.opblock-summary-path').count()).toBeGreaterThan(10);
      const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
      expect({ violations, consoleCsp }).toEqual({ violations: [], consoleCsp: [] });
    } finally {
      await page.close();
      await own.close();
      rmSync(dist, { recursive: true, force: true });
    }
  }, 120_000);

  it('is served by the collector too, with deep links falling back to the app', async () => {
    const own = await serve('collector');
    try {
      await browser.page.goto(`${own.url}/groups?sort=lag&dir=desc`);
      await browser.page.getByRole('heading', { name: 'Consumer groups' }).waitFor();
      expect(browser.page.url()).toContain('sort=lag');
    } finally {
      await own.close();
    }
  });
});
