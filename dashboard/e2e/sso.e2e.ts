/**
 * Single sign-on in Chromium: the built dashboard served by a real collector app configured
 * for OpenID Connect against a REAL provider (oidc-provider, collector/test/oidc-provider.ts)
 * with its own login form. Alice (operator) signs in, sees the overview and herself in the
 * header, signs out (at the provider too); Bob (viewer) finds the DLQ mark unavailable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, pathEndsWith, screenshot, type Browser } from './browser.ts';
import { createKafkaFixture, type KafkaFixture } from './kafka-fixture.ts';
import { DIST_DIR } from './serve.ts';

const COLLECTOR = resolve(import.meta.dirname, '../../collector');

/** The little of the collector's app and test provider used here (the dashboard does not type-check the collector). */
interface CollectorApp {
  listen(opts: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
  kafkaMonitor: { pollOnce(): Promise<unknown> };
}
interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  registerRedirects(publicUrl: string): void;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let provider: TestProvider;
let collector: CollectorApp;
let url: string;
let dataDir: string;
let kafka: KafkaFixture;
let browser: Browser;

beforeAll(async () => {
  const { startTestProvider } = (await import(/* @vite-ignore */ join(COLLECTOR, 'test/oidc-provider.ts'))) as {
    startTestProvider: () => Promise<TestProvider>;
  };
  const { buildApp } = (await import(/* @vite-ignore */ join(COLLECTOR, 'src/app.ts'))) as {
    buildApp: (o: { config: unknown; background: boolean }) => Promise<CollectorApp>;
  };
  const { loadConfig } = (await import(/* @vite-ignore */ join(COLLECTOR, 'src/config.ts'))) as {
    loadConfig: (env: Record<string, string>, overrides: Record<string, unknown>) => unknown;
  };
  provider = await startTestProvider();
  kafka = await createKafkaFixture();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  provider.registerRedirects(url);
  dataDir = mkdtempSync(join(tmpdir(), 'eventscope-sso-e2e-'));
  const config = loadConfig(
    {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      EVENTSCOPE_LOG_LEVEL: 'warn',
      EVENTSCOPE_OIDC_ISSUER_URL: provider.issuer,
      EVENTSCOPE_OIDC_CLIENT_ID: provider.clientId,
      EVENTSCOPE_OIDC_CLIENT_SECRET: provider.clientSecret,
      EVENTSCOPE_OIDC_SCOPES: 'openid,profile,roles',
      EVENTSCOPE_PUBLIC_URL: url,
      EVENTSCOPE_SESSION_SECRET: 'browser-test-session-secret-0123456789abcdef',
    },
    { dataDir, port, otlpPort: 0, dashboardDir: DIST_DIR, dlqPattern: kafka.dlqTopic, groupsInclude: kafka.group },
  );
  collector = await buildApp({ config, background: false });
  await collector.listen({ host: '127.0.0.1', port });
  // One lag/DLQ poll of the real broker, so the fixture's DLQ is known.
  await collector.kafkaMonitor.pollOnce();
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await collector?.close();
  await provider?.close();
  await kafka?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** From the dashboard's sign-in screen through the provider's login form, back to the dashboard. */
async function signIn(login: string): Promise<void> {
  const { page } = browser;
  await page.getByRole('heading', { name: 'Sign in to continue' }).waitFor();
  await page.getByRole('link', { name: 'Sign in' }).click();
  // The provider's own page (its stylesheet imports a web font that never loads here: do not wait for `load`).
  await page.waitForURL(`${provider.issuer}/**`, { waitUntil: 'domcontentloaded' });
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.waitForURL(`${url}/**`, { waitUntil: 'domcontentloaded' });
}

describe('single sign-on in Chromium', () => {
  it('sends alice to the provider, shows the overview and her name and role, and signs her out', async () => {
    const { page } = browser;
    await page.goto(`${url}/`);
    await screenshot(page, 'sso-sign-in');
    await signIn('alice');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const user = page.getByLabel('Signed-in user');
    await user.getByText('Alice Operator').waitFor();
    expect(await user.textContent()).toContain('operator');
    const cookies = await browser.context.cookies(url);
    const session = cookies.find((c) => c.name === 'eventscope_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Lax');
    await screenshot(page, 'sso-signed-in');

    await user.getByRole('button', { name: 'Sign out' }).click();
    // The provider asks to confirm its own sign-out, then sends the browser back.
    await page.waitForURL(`${provider.issuer}/**`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${url}/`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { name: 'Sign in to continue' }).waitFor();
    expect((await browser.context.cookies(url)).some((c) => c.name === 'eventscope_session')).toBe(false);
  });

  it('keeps the page asked for through sign-in, and shows bob (viewer) the DLQ mark as unavailable', async () => {
    const { page } = browser;
    await page.goto(`${url}/dlqs/${kafka.dlqTopic}`);
    await signIn('bob');
    await page.waitForURL(pathEndsWith(`/dlqs/${kafka.dlqTopic}`));
    await page.getByRole('heading', { name: kafka.dlqTopic }).waitFor();
    const records = page.getByRole('region', { name: 'Latest records' });
    await records.waitFor();
    expect(await records.textContent()).toContain('injected poison record');
    const user = page.getByLabel('Signed-in user');
    await user.getByText('Bob Viewer').waitFor();
    expect(await user.textContent()).toContain('viewer');
    const mark = page.getByRole('button', { name: 'Set mark now' });
    expect(await mark.isDisabled()).toBe(true);
    expect(await mark.getAttribute('title')).toContain('operator role');
    await screenshot(page, 'sso-viewer-dlq');
  });
});
