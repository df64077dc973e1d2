/**
 * The collector unreachable (issue #23, item 4): every page and every overview card says why
 * it has no data and offers a retry, never "Loading…" forever, and the header says the
 * collector is offline. Two ways to be unreachable, each behind `vite preview`'s /api proxy:
 * a port nobody listens on (refused), and a server that accepts connections and never
 * answers (a stopped process, a stuck proxy). No collector is started at all.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, screenshot, type Browser } from './browser.ts';
import { DASHBOARD_DIR } from './serve.ts';

let browser: Browser;
const previews: PreviewServer[] = [];
let silent: Server;
const sockets = new Set<Socket>();

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The built dashboard with /api proxied to `target`. */
async function dashboardAt(target: string): Promise<string> {
  const server = await preview({
    root: DASHBOARD_DIR,
    configFile: join(DASHBOARD_DIR, 'vite.config.ts'),
    logLevel: 'silent',
    preview: { host: '127.0.0.1', port: 0, strictPort: false, proxy: { '/api': target } },
  });
  previews.push(server);
  const url = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
  if (!url) throw new Error('vite preview did not report its URL');
  return url;
}

beforeAll(async () => {
  browser = await launch({ width: 1440, height: 900 });
  silent = createServer((socket) => {
    // Accepts and never answers.
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const s of previews) await s.close();
  for (const s of sockets) s.destroy();
  silent?.close();
});

const PAGES: [string, string][] = [
  ['/', 'Overview'],
  ['/groups', 'Consumer groups'],
  ['/dlqs', 'Dead-letter queues'],
  ['/sagas', 'Sagas'],
  ['/flows', 'Flow map'],
  ['/audit', 'Loss and duplicate audit'],
];

/**
 * Opens the pages each in its own tab at once; each must settle on an error with a retry within
 * `withinMs` of showing its heading (the product's claim). Not a bound on the whole: nine tabs
 * loading and taking screenshots at once measure the machine (24 s under a loaded CI run).
 */
async function pagesSayWhy(
  pages: [string, string][],
  base: string,
  reason: RegExp,
  name: string,
  withinMs: number,
): Promise<void> {
  await Promise.all(
    pages.map(async ([path, heading]) => {
      const page = await browser.context.newPage();
      try {
        await page.goto(`${base}${path}`);
        await page.getByRole('heading', { name: heading }).first().waitFor();
        const main = page.getByRole('main');
        await main.getByRole('alert').first().waitFor({ timeout: withinMs });
        await page.waitForFunction(() => !document.querySelector('main .state-loading'), undefined, {
          timeout: 5_000,
        });
        const alerts = await main.getByRole('alert').allTextContents();
        for (const text of alerts) expect(text, `${path}`).toMatch(reason);
        expect(await main.getByRole('button', { name: 'Try again' }).count(), `${path}: a retry`).toBeGreaterThan(0);
        if (path === '/') {
          // Every card of the overview says it, not only the page: none stays blank.
          for (const tile of await main.locator('section.tile').all()) {
            const label = await tile.getAttribute('aria-label');
            expect(await tile.getByRole('alert').count(), `overview card ${label}`).toBe(1);
          }
          await page
            .getByRole('banner')
            .getByText(/offline/i)
            .waitFor({ timeout: 10_000 });
        }
        await screenshot(page, `${name}${path === '/' ? '-overview' : path.replace(/\//g, '-')}`);
      } finally {
        await page.close();
      }
    }),
  );
}

describe('collector unreachable', () => {
  it('refused: every page and card says the collector did not answer, with a retry, within seconds', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const base = await dashboardAt(`http://127.0.0.1:${port}`);
    await pagesSayWhy(PAGES, base, /collector/i, 'offline-refused', 8_000);
  });

  it('never answering: the request times out and the page says so instead of loading forever', async () => {
    const port = await listen(silent);
    const base = await dashboardAt(`http://127.0.0.1:${port}`);
    // One tab: Chromium opens at most six connections per host, and every hanging request holds one.
    await pagesSayWhy([['/', 'Overview']], base, /did not answer within 10 s/, 'offline-silent', 15_000);
  });
});
