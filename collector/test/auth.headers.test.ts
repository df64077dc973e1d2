/**
 * Security headers (auth/headers.ts) on the real app: the dashboard's CSP, Swagger UI's own CSP,
 * nosniff, no framing, no referrer, on answers and on refusals alike.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const VIEWER = 'viewer-token-0123456789abcdef';
const INGEST = 'ingest-token-0123456789abcdef';
let app: App;
const dirs: string[] = [];

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eventscope-headers-'));
  const dashboardDir = mkdtempSync(join(tmpdir(), 'eventscope-headers-dash-'));
  dirs.push(dataDir, dashboardDir);
  mkdirSync(join(dashboardDir, 'assets'));
  writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dashboardDir, 'assets', 'app.js'), 'console.log(1)');
  app = await buildApp({
    config: loadConfig(
      { EVENTSCOPE_TOKENS: `alice:viewer:${VIEWER}`, EVENTSCOPE_INGEST_TOKEN: INGEST },
      { dataDir, dashboardDir },
    ),
    background: false,
  });
});
afterAll(async () => {
  await app.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The CSP as a map of directive -> sources. */
function csp(header: unknown): Map<string, string[]> {
  expect(typeof header).toBe('string');
  const out = new Map<string, string[]>();
  for (const d of String(header).split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

const auth = { authorization: `Bearer ${VIEWER}` };

describe('security headers', () => {
  it('gives the dashboard a CSP of its own origin only, no framing, nosniff and no referrer', async () => {
    for (const url of ['/', '/assets/app.js', '/dlqs/orders.dlq', '/api/overview']) {
      const res = await app.inject({ url, headers: auth });
      expect(res.statusCode).toBe(200);
      const policy = csp(res.headers['content-security-policy']);
      expect(policy.get('default-src')).toEqual(["'self'"]);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('connect-src')).toEqual(["'self'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(policy.get('object-src')).toEqual(["'none'"]);
      // Plain http on a LAN address must keep working: no forced upgrade of subresources.
      expect(policy.has('upgrade-insecure-requests')).toBe(false);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('gives Swagger UI its own policy: its inline hashes, still no framing or third-party hosts', async () => {
    const res = await app.inject({ url: '/docs/', headers: auth });
    expect(res.statusCode).toBe(200);
    const policy = csp(res.headers['content-security-policy']);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('script-src')?.[0]).toBe("'self'");
    expect(policy.get('img-src')).toEqual(["'self'", 'data:']);
    expect(policy.has('upgrade-insecure-requests')).toBe(false);
    expect(String(res.headers['content-security-policy'])).not.toMatch(/validator\.swagger\.io|https:/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('puts the headers on refusals too (401, 403, 404)', async () => {
    for (const [url, headers, status] of [
      ['/api/overview', {}, 401],
      ['/api/overview', { ...auth, host: 'evil.example' }, 403],
      ['/api/nope', auth, 404],
    ] as const) {
      const res = await app.inject({ url, headers });
      expect({ url, status: res.statusCode }).toEqual({ url, status });
      expect(csp(res.headers['content-security-policy']).get('frame-ancestors')).toEqual(["'none'"]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('leaves the OTLP receiver without them: its answers go to exporters, not browsers', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json' },
      payload: '{"resourceSpans":[]}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});
