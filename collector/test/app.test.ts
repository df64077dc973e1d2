import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ThreadedSqliteStore } from '../src/store/sqlite-threaded.ts';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('collector app', () => {
  it('serves health, metrics and the OpenAPI document', async () => {
    app = await buildApp({ config: loadConfig({}), background: false });
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const metrics = await app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('eventscope_collector_process_');
    const openapi = await app.inject('/docs/json');
    expect(openapi.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./) as unknown });
  });

  it("opens the store with EVENTSCOPE_STORE_CACHE_MB as each connection's page cache", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'eventscope-app-'));
    try {
      app = await buildApp({ config: loadConfig({ EVENTSCOPE_STORE_CACHE_MB: '2' }, { dataDir }), background: false });
      expect(app.store).toBeInstanceOf(ThreadedSqliteStore);
      expect(await (app.store as ThreadedSqliteStore).cacheKb()).toEqual({ reader: 2048, writer: 2048 });
      await app.close();
      app = undefined;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers unknown routes with a JSON 404 naming the route', async () => {
    app = await buildApp({ config: loadConfig({}), background: false });
    const res = await app.inject('/api/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'NOT_FOUND', message: expect.stringContaining('/api/nope') as unknown });
  });

  it('requires the bearer token on /api when one is configured, but not on /healthz', async () => {
    app = await buildApp({ config: loadConfig({ EVENTSCOPE_API_TOKEN: 'tok' }), background: false });
    expect((await app.inject('/api/anything')).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/anything', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(
      401,
    );
    expect((await app.inject({ url: '/api/anything', headers: { authorization: 'Bearer tok' } })).statusCode).toBe(404);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });
});

describe('dashboard serving', () => {
  it('serves the built dashboard with a SPA fallback, and keeps API 404s as JSON', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'es-dash-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>eventscope</title><div id="root"></div>');
    app = await buildApp({ config: loadConfig({ EVENTSCOPE_DASHBOARD_DIR: dir }), background: false });
    const root = await app.inject('/');
    expect(root.statusCode).toBe(200);
    expect(root.body).toContain('<title>eventscope</title>');
    const deepLink = await app.inject('/groups/orders-service?range=1h');
    expect(deepLink.statusCode).toBe(200);
    expect(deepLink.body).toContain('id="root"');
    const api = await app.inject('/api/nope');
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: 'NOT_FOUND' });
    expect((await app.inject('/assets/missing.js')).statusCode).toBe(404);
    // Regression: a deep link whose last segment has a dot (a DLQ topic) is still the app.
    const dlqLink = await app.inject('/dlqs/payment.dlq');
    expect(dlqLink.statusCode).toBe(200);
    expect(dlqLink.body).toContain('id="root"');
  });
});
