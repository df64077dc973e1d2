/**
 * The flow map as a map (laid out to fit, labels on their edges, health colours, a panel per
 * node, zoom and pan) and the trace page joining linked traces into one waterfall, in Chromium
 * against a real collector fed with OTLP spans (issue #23 items 3 and 9).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, screenshot, type Browser } from './browser.ts';
import { seedSaga } from './seed.ts';
import { seedLinkedFlow, type SeededLinkedFlow } from './seed-links.ts';
import { serve, type Served } from './serve.ts';

let served: Served;
let browser: Browser;
let flow: SeededLinkedFlow;
const SUFFIX = 'fm';

beforeAll(async () => {
  served = await serve('preview');
  await seedSaga(served);
  flow = await seedLinkedFlow(served, SUFFIX);
  browser = await launch({ width: 1280, height: 800 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

const billing = `service:billing-${SUFFIX}`;

describe('flow map in Chromium', () => {
  it('fits the window with readable labels on their edges and health colours', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/flows`);
    const map = page.getByRole('group', { name: 'Flow map' });
    await map.locator(`[data-node="${billing}"]`).waitFor();
    await screenshot(page, 'flow-map-health');

    // No sideways scroll and no blank page below the map.
    const scroll = await page.evaluate(() => ({
      x: document.documentElement.scrollWidth - window.innerWidth,
      y: document.documentElement.scrollHeight - window.innerHeight,
    }));
    expect(scroll.x).toBeLessThanOrEqual(0);
    expect(scroll.y).toBeLessThanOrEqual(0);

    const geometry = await map.evaluate((svg) => {
      const box = svg.getBoundingClientRect();
      const rect = (e: Element) => {
        const r = e.getBoundingClientRect();
        return { x1: r.left, y1: r.top, x2: r.right, y2: r.bottom };
      };
      const nodes = [...svg.querySelectorAll('.node')].map((n) => ({
        id: n.getAttribute('data-node') ?? '',
        ...rect(n),
        fontPx: parseFloat(getComputedStyle(n.querySelector('text')!).fontSize) * (n as SVGGElement).getScreenCTM()!.a,
      }));
      const labels = [...svg.querySelectorAll<SVGGElement>('.edge-label')].map((g) => {
        const key = g.getAttribute('data-edge');
        const path = [...svg.querySelectorAll<SVGPathElement>('.edge-line')].find(
          (p) => p.getAttribute('data-edge') === key,
        )!;
        // Label centre and the nearest point of its own edge, in the drawing's units.
        const m = g.transform.baseVal.consolidate()!.matrix;
        let best = Infinity;
        const len = path.getTotalLength();
        for (let s = 0; s <= len; s += 2) {
          const p = path.getPointAtLength(s);
          best = Math.min(best, Math.hypot(p.x - m.e, p.y - m.f));
        }
        return { key, ...rect(g.querySelector('rect')!), distance: best };
      });
      return { box: rect(svg), nodes, labels, vw: window.innerWidth, vh: window.innerHeight, boxH: box.height };
    });
    expect(geometry.nodes.length).toBeGreaterThanOrEqual(10);
    for (const n of geometry.nodes) {
      // Fitted into the map's box, which is inside the window, at a readable size.
      expect(n.x1 >= geometry.box.x1 - 1 && n.x2 <= geometry.box.x2 + 1, `${n.id} inside horizontally`).toBe(true);
      expect(n.y1 >= geometry.box.y1 - 1 && n.y2 <= geometry.box.y2 + 1, `${n.id} inside vertically`).toBe(true);
      expect(n.fontPx, `${n.id} label size`).toBeGreaterThanOrEqual(10);
    }
    expect(geometry.box.y2).toBeLessThanOrEqual(geometry.vh);
    const overlaps: string[] = [];
    for (const [i, a] of geometry.labels.entries()) {
      expect(a.distance, `label ${a.key} on its edge`).toBeLessThanOrEqual(14);
      for (const b of [...geometry.labels.slice(i + 1), ...geometry.nodes]) {
        if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2)
          overlaps.push(`${a.key} / ${'id' in b ? b.id : b.key}`);
      }
    }
    expect(overlaps).toEqual([]);

    // The 3.7 s queue of billing is red, on its edge and its node; mailer's 20 ms edge is green.
    const slow = map.locator(`path.edge-line[data-edge="topic:orders-${SUFFIX} -> ${billing} (billing-${SUFFIX})"]`);
    expect(await slow.getAttribute('class')).toContain('health-bad');
    expect(await slow.evaluate((p) => getComputedStyle(p).stroke)).toBe('rgb(207, 34, 46)');
    const fast = map.locator(`path.edge-line[data-edge^="topic:invoices-${SUFFIX} -> "]`);
    expect(await fast.evaluate((p) => getComputedStyle(p).stroke)).toBe('rgb(26, 127, 55)');
    expect(await map.locator(`[data-node="${billing}"]`).getAttribute('aria-label')).toContain('unhealthy');
  });

  it('opens a panel for a clicked node, and zooms and pans', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/flows`);
    const map = page.getByRole('group', { name: 'Flow map' });
    const node = map.locator(`[data-node="${billing}"]`);
    await node.waitFor();

    await node.locator('rect').click();
    await page.waitForURL(/node=service%3Abilling-fm|node=service:billing-fm/);
    const panel = page.getByRole('complementary', { name: 'Node details' });
    await panel.waitFor();
    expect(await panel.getByRole('heading').first().textContent()).toContain(`billing-${SUFFIX}`);
    expect(await panel.textContent()).toMatch(/rate in.*\/s/);
    expect(await panel.textContent()).toMatch(/p95 \d(\.\d)? s/);
    // The group's page on its own Kafka cluster (the collector's only one, `default`).
    expect(await panel.getByRole('link', { name: `billing-${SUFFIX}`, exact: true }).getAttribute('href')).toBe(
      `/groups/billing-${SUFFIX}?cluster=default`,
    );
    expect(await node.getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'flow-map-node');

    const size = async () => (await node.boundingBox())!;
    const before = await size();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(async () => (await size()).width).toBeGreaterThan(before.width * 1.2);

    // Drag the background: the drawing follows the pointer; the drag is not a click on anything.
    const box = (await map.boundingBox())!;
    const start = await size();
    await page.mouse.move(box.x + 8, box.y + box.height - 8);
    await page.mouse.down();
    await page.mouse.move(box.x + 68, box.y + box.height - 48, { steps: 5 });
    await page.mouse.up();
    const moved = await size();
    expect(Math.round(moved.x - start.x)).toBe(60);
    expect(Math.round(moved.y - start.y)).toBe(-40);

    // The keyboard pans too: the arrow keys move the map like a drag would.
    await map.focus();
    const beforeKey = await size();
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => Math.round((await size()).x - beforeKey.x)).toBe(-40);

    // Fit brings the whole map back.
    await page.getByRole('button', { name: 'Fit' }).click();
    await expect.poll(async () => (await size()).width).toBeCloseTo(before.width, 0);
  });
});

describe('trace page in Chromium', () => {
  it('joins the traces linked by eachBatch consumers into one waterfall', async () => {
    const { page } = browser;
    await page.goto(`${served.url}/traces/${flow.traces.producer}`);
    const table = page.getByRole('table', { name: 'Spans' });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(4);
    const texts = await rows.allTextContents();
    expect(texts[0]).toContain(`send orders-${SUFFIX}`);
    expect(texts[1]).toContain(`process orders-${SUFFIX} (billing-${SUFFIX}, attempt 1)`);
    expect(texts[2]).toContain(`send invoices-${SUFFIX}`);
    expect(texts[3]).toContain(`process invoices-${SUFFIX} (mailer-${SUFFIX}, attempt 1)`);
    expect(await page.getByTestId('linked-traces').textContent()).toContain('Joined with 2 linked traces');
    expect(await table.locator(`a[href="/traces/${flow.traces.billing}"]`).count()).toBeGreaterThan(0);

    // The billing delivery's bar: queued 3.7 s of the ~3.8 s flow, then a short processing bar.
    const billingRow = rows.nth(1);
    const track = (await billingRow.locator('.wf-track').boundingBox())!;
    const queue = (await billingRow.locator('.wf-queue').boundingBox())!;
    expect(queue.width / track.width).toBeGreaterThan(0.9);
    const mailerBar = (await rows.nth(3).locator('.wf-bar').boundingBox())!;
    expect(mailerBar.x).toBeGreaterThan(track.x + track.width * 0.9);
    await screenshot(page, 'trace-waterfall');
  });
});
