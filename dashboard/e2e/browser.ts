/**
 * Debian's Chromium driven by playwright-core. Never a downloaded browser: the executable is
 * /usr/bin/chromium (or EVENTSCOPE_CHROMIUM), and every run gets a fresh user-data-dir.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.EVENTSCOPE_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** dashboard/test-output/screenshots (git-ignored). */
/**
 * For page.waitForURL: a URL whose path ends with `suffix`, whatever its query string (links from
 * an answer that names its Kafka cluster carry `?cluster=`).
 */
export const pathEndsWith =
  (suffix: string) =>
  (url: URL): boolean =>
    url.pathname.endsWith(suffix);

export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../test-output/screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launch(
  options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {},
): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install -y chromium)`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'eventscope-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The hops of a saga flow diagram whose processing bar does not take a click at its centre
 * (something of another hop lies on top there), as "<hop's accessible name>: <what covers it>".
 * A person clicks the bar they see; so does the test.
 */
export async function coveredHopBars(page: Page): Promise<string[]> {
  return page.getByRole('group', { name: /^Saga flow/ }).evaluate((svg) => {
    const covered: string[] = [];
    for (const bar of svg.querySelectorAll('rect.processing')) {
      const hop = bar.closest('[role="button"]');
      bar.scrollIntoView({ block: 'center', inline: 'center' });
      const r = bar.getBoundingClientRect();
      const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      if (!hop || !hit || !hop.contains(hit)) {
        const by = hit?.closest('[data-testid]')?.getAttribute('data-testid') ?? hit?.tagName ?? 'nothing';
        covered.push(`${hop?.getAttribute('aria-label') ?? '?'}: ${by}`);
      }
    }
    return covered;
  });
}
