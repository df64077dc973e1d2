/**
 * Auth over real HTTP (a listener, raw paths sent as spelled): every route of the real app is
 * walked from the app's own route inventory, so a new route is covered without editing this
 * file. Roles, the metrics and ingest tokens (both ports), Host and Origin checks, the audit
 * log of a real DLQ mark on the real broker, and config refusals.
 */
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.ts';
import type { AuditLog } from '../src/auth/index.ts';
import { loadConfig, redactConfig, type Config } from '../src/config.ts';
import { createOtlpServer } from '../src/traces/index.ts';
import { brokers, connectAdmin, createTopicsLed, uniqueName } from './kafka-helpers.ts';

const VIEWER = 'viewer-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const INGEST = 'ingest-token-0123456789abcdef';
const METRICS = 'metrics-token-0123456789abcdef';
const WRONG = 'operator-token-0123456789abcdeX';
const TOKENS = `alice:viewer:${VIEWER},ops:operator:${OPERATOR}`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'eventscope-auth-'));
  dirs.push(d);
  return d;
};

/** A tiny built dashboard, so the static routes and the deep-link fallback exist. */
function dashboardDir(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>eventscope</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  return dir;
}

interface Harness {
  app: App;
  port: number;
  close(): Promise<void>;
}

async function start(env: Record<string, string> = {}, overrides: Partial<Config> = {}): Promise<Harness> {
  const config = loadConfig(
    { KAFKA_BROKERS: brokers.join(','), EVENTSCOPE_TOKENS: TOKENS, ...env },
    { dataDir: tempDir(), dashboardDir: dashboardDir(), ...overrides },
  );
  const app = await buildApp({ config, background: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, port, close: () => app.close() };
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with the path exactly as given (no client-side normalisation). */
/**
 * POST to the mark route of a DLQ no poll has seen: a state-changing route that answers 404 to
 * whoever gets past authentication and the origin check.
 */
function mark(port: number, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return raw(port, 'POST', '/api/dlqs/orders.dlq/mark', headers, body);
}

function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      // SSE never ends: the status and headers are what we came for.
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        res.destroy();
      }
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A concrete path for a route pattern: params and wildcards filled in. */
const concrete = (url: string): string =>
  url.replace(/:[A-Za-z0-9_]+/g, 'orders.dlq').replace(/\*$/, 'index.css') || '/';

/** The same route spelled in ways a string prefix check misses, plus ones that must not match another route. */
function spellings(path: string): string[] {
  const segs = path.split('/');
  const encodeFirst = (s: string): string =>
    s === '' ? s : `%${s.charCodeAt(0).toString(16).padStart(2, '0')}${s.slice(1)}`;
  const out = new Set<string>([
    path,
    // /%61pi/overview: the router decodes it to /api/overview
    segs.map((s, i) => (i === 1 ? encodeFirst(s) : s)).join('/'),
    // a later segment encoded: /api/%64lqs/...
    segs.map((s, i) => (i === segs.length - 1 && i > 1 ? encodeFirst(s) : s)).join('/'),
    `/${path}`.replace(/\/(?=[^/])/g, '//'),
    `${path}/`,
    `/x/..${path}`,
    `${segs[0]}/${segs[1] ?? ''}/..${path}`,
    path.toUpperCase(),
    `${path};jsessionid=1`,
    `${path}?x=1`,
  ]);
  return [...out];
}

describe('auth: every route of the real app, however spelled', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ EVENTSCOPE_INGEST_TOKEN: INGEST, EVENTSCOPE_METRICS_TOKEN: METRICS });
  });
  afterAll(async () => {
    await h.close();
  });

  it('inventories the routes it guards, and only probes, dashboard files and /auth/ are public', () => {
    const routes = h.app.auth.routes();
    const has = (method: string, url: string) => routes.find((r) => r.methods.includes(method) && r.url === url);
    expect(has('GET', '/api/overview')?.access).toBe('read');
    expect(has('GET', '/api/stream')?.access).toBe('read');
    expect(has('GET', '/api/audit-log')?.access).toBe('read');
    expect(has('GET', '/docs/json')?.access).toBe('read');
    expect(has('GET', '/metrics')?.access).toBe('read');
    expect(has('POST', '/api/dlqs/:topic/mark')?.access).toBe('write');
    expect(has('POST', '/v1/traces')?.access).toBe('ingest');
    expect(has('GET', '/assets/app.js')?.access).toBe('public');
    const publicUrls = routes.filter((r) => r.access === 'public').map((r) => r.url);
    for (const url of publicUrls) {
      expect(url).toMatch(/^\/(healthz|readyz|auth\/.*|assets\/app\.js|index\.html|)$/);
    }
  });

  it('answers 401 to every non-public route without a token and with a wrong one', async () => {
    const routes = h.app.auth.routes().filter((r) => r.access !== 'public');
    expect(routes.length).toBeGreaterThan(20);
    let checked = 0;
    for (const route of routes) {
      for (const method of route.methods) {
        for (const path of spellings(concrete(route.url))) {
          for (const headers of [
            {},
            bearer(WRONG),
            { authorization: 'Bearer' },
            { authorization: `bearer  ${WRONG}x` },
          ]) {
            const res = await raw(
              h.port,
              method,
              path,
              {
                ...headers,
                ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
              },
              method === 'POST' ? '{}' : undefined,
            );
            expect({ method, path, headers, status: res.status }).toEqual({ method, path, headers, status: 401 });
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('closes the bypasses of the old /api prefix check', async () => {
    expect((await raw(h.port, 'GET', '/%61pi/overview')).status).toBe(401);
    expect((await raw(h.port, 'GET', '/api/%64lqs')).status).toBe(401);
    expect((await raw(h.port, 'POST', '/%61pi/dlqs/orders.dlq/mark')).status).toBe(401);
    expect((await raw(h.port, 'GET', '/metrics')).status).toBe(401);
    expect((await raw(h.port, 'GET', '/docs/json')).status).toBe(401);
    expect((await raw(h.port, 'POST', '/v1/traces', { 'content-type': 'application/json' }, '{}')).status).toBe(401);
    // With a token, the encoded spelling reaches the same route as the plain one.
    const viaEncoded = await raw(h.port, 'GET', '/%61pi/overview', bearer(VIEWER));
    expect(viaEncoded.status).toBe(200);
  });

  it('keeps the dashboard files, deep links and health probes public, and tells an unmatched API path nothing', async () => {
    expect((await raw(h.port, 'GET', '/')).status).toBe(200);
    expect((await raw(h.port, 'GET', '/assets/app.js')).status).toBe(200);
    expect((await raw(h.port, 'GET', '/dlqs/orders.dlq')).body).toContain('<div id="root">');
    expect((await raw(h.port, 'GET', '/healthz')).status).toBe(200);
    expect((await raw(h.port, 'GET', '/readyz')).status).not.toBe(401);
    // No route: without a token the answer is the same 401 as for a route that exists.
    const unknown = await raw(h.port, 'GET', '/api/no-such-route');
    expect(unknown.status).toBe(401);
    expect(unknown.headers['www-authenticate']).toBe('Bearer realm="eventscope"');
    expect((await raw(h.port, 'GET', '/api/no-such-route', bearer(VIEWER))).status).toBe(404);
    expect((await raw(h.port, 'DELETE', '/anything')).status).toBe(401);
  });

  it('lets a viewer read and refuses its writes with 403; an operator may write', async () => {
    for (const path of ['/api/overview', '/docs/json', '/metrics', '/api/audit-log', '/api/dlqs']) {
      expect({ path, status: (await raw(h.port, 'GET', path, bearer(VIEWER))).status }).toEqual({ path, status: 200 });
    }
    const sse = await raw(h.port, 'GET', '/api/stream', bearer(VIEWER));
    expect(sse.status).toBe(200);
    const denied = await mark(h.port, bearer(VIEWER));
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({
      error: 'FORBIDDEN',
      message: expect.stringContaining('operator') as unknown,
    });
    // Not in a snapshot (no poll here): the operator gets past auth to the handler's 404.
    const op = await mark(h.port, bearer(OPERATOR));
    expect(op.status).toBe(404);
    expect(JSON.parse(op.body)).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('lets the metrics token read /metrics only, and the ingest token send spans only', async () => {
    expect((await raw(h.port, 'GET', '/metrics', bearer(METRICS))).status).toBe(200);
    expect((await raw(h.port, 'GET', '/api/overview', bearer(METRICS))).status).toBe(403);
    expect((await raw(h.port, 'GET', '/metrics', bearer(INGEST))).status).toBe(403);
    const spans = { 'content-type': 'application/json' };
    expect(
      (await raw(h.port, 'POST', '/v1/traces', { ...spans, ...bearer(INGEST) }, '{"resourceSpans":[]}')).status,
    ).toBe(200);
    expect(
      (await raw(h.port, 'POST', '/v1/traces', { ...spans, ...bearer(OPERATOR) }, '{"resourceSpans":[]}')).status,
    ).toBe(200);
    expect(
      (await raw(h.port, 'POST', '/v1/traces', { ...spans, ...bearer(VIEWER) }, '{"resourceSpans":[]}')).status,
    ).toBe(403);
    expect(
      (await raw(h.port, 'POST', '/v1/traces', { ...spans, ...bearer(METRICS) }, '{"resourceSpans":[]}')).status,
    ).toBe(403);
    expect((await raw(h.port, 'GET', '/api/overview', bearer(INGEST))).status).toBe(403);
    // OTLP from another origin needs no Origin check (machine clients), only its token.
    expect(
      (
        await raw(
          h.port,
          'POST',
          '/v1/traces',
          { ...spans, ...bearer(INGEST), origin: 'http://elsewhere.example' },
          '{"resourceSpans":[]}',
        )
      ).status,
    ).toBe(200);
  });

  it('counts refusals by reason in metrics that docs/metrics.md documents', async () => {
    await raw(h.port, 'GET', '/api/overview');
    await raw(h.port, 'GET', '/api/overview', { ...bearer(VIEWER), host: 'evil.example' });
    const metrics = (await raw(h.port, 'GET', '/metrics', bearer(METRICS))).body;
    expect(metrics).toMatch(/^eventscope_http_refused_total\{reason="unauthorized"\} [1-9]/m);
    expect(metrics).toMatch(/^eventscope_http_refused_total\{reason="host"\} [1-9]/m);
    expect(metrics).toContain('# TYPE eventscope_audit_failures_total counter');
    const doc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8');
    for (const name of ['eventscope_http_refused_total', 'eventscope_audit_failures_total']) {
      expect(doc).toContain(`\`${name}\``);
    }
  });

  it('puts the ingest token on the OTLP port too (a real second listener)', async () => {
    const otlp: FastifyInstance = await createOtlpServer(h.app);
    await otlp.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = otlp.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const json = { 'content-type': 'application/json' };
      const body = '{"resourceSpans":[]}';
      const none = await raw(port, 'POST', '/v1/traces', json, body);
      expect(none.status).toBe(401);
      expect(JSON.parse(none.body)).toMatchObject({ error: 'UNAUTHORIZED' });
      expect((await raw(port, 'POST', '/v1/traces', { ...json, ...bearer(WRONG) }, body)).status).toBe(401);
      expect((await raw(port, 'POST', '/%761/traces', json, body)).status).toBe(401);
      expect((await raw(port, 'POST', '/v1/traces', { ...json, ...bearer(VIEWER) }, body)).status).toBe(403);
      expect((await raw(port, 'POST', '/v1/traces', { ...json, ...bearer(INGEST) }, body)).status).toBe(200);
      expect((await raw(port, 'POST', '/v1/traces', { ...json, ...bearer(OPERATOR) }, body)).status).toBe(200);
      expect((await raw(port, 'GET', '/v1/nope', {})).status).toBe(401);
      const rebound = await raw(port, 'POST', '/v1/traces', { ...json, ...bearer(INGEST), host: 'evil.example' }, body);
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body)).toMatchObject({ error: 'HOST_REFUSED' });
    } finally {
      await otlp.close();
    }
  });
});

describe('auth: Host and Origin', () => {
  const apps: Harness[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });
  const startTracked = async (env: Record<string, string> = {}, overrides: Partial<Config> = {}) => {
    const a = await start(env, overrides);
    apps.push(a);
    return a;
  };

  it('refuses a cross-site POST (text/plain or JSON) even with no auth configured', async () => {
    const h = await startTracked({ EVENTSCOPE_TOKENS: '' });
    const form = await mark(h.port, { origin: 'http://evil.example', 'content-type': 'text/plain' }, 'x');
    expect(form.status).toBe(403);
    expect(JSON.parse(form.body)).toMatchObject({ error: 'ORIGIN_REFUSED' });
    const json = await mark(h.port, { origin: 'http://evil.example', 'content-type': 'application/json' }, '{}');
    expect(json.status).toBe(403);
    // No Origin, only a foreign Referer: still refused.
    expect((await mark(h.port, { referer: 'http://evil.example/page' })).status).toBe(403);
    expect((await mark(h.port, { origin: 'null' })).status).toBe(403);
    // A text/plain body without Origin (a browser that strips it) cannot change state either.
    const plain = await mark(h.port, { 'content-type': 'text/plain' }, 'x');
    expect(plain.status).toBe(415);
    // Same origin (the dashboard) and no Origin at all (curl) get through to the handler.
    const same = await mark(h.port, { origin: `http://127.0.0.1:${h.port}`, 'content-type': 'application/json' }, '{}');
    expect(same.status).toBe(404);
    expect((await mark(h.port)).status).toBe(404);
  });

  it('accepts origins from allowedOrigins', async () => {
    const h = await startTracked({ EVENTSCOPE_ALLOWED_ORIGINS: 'https://ops.example.com' });
    const headers = { ...bearer(OPERATOR), 'content-type': 'application/json' };
    expect((await mark(h.port, { ...headers, origin: 'https://ops.example.com' }, '{}')).status).toBe(404);
    expect((await mark(h.port, { ...headers, origin: 'https://ops.example.com.evil.io' }, '{}')).status).toBe(403);
    expect((await mark(h.port, { ...headers, origin: 'http://ops.example.com' }, '{}')).status).toBe(403);
  });

  it('refuses a foreign Host on a loopback bind (DNS rebinding), with or without auth, probes exempt', async () => {
    const envs: Record<string, string>[] = [{ EVENTSCOPE_TOKENS: '' }, {}];
    for (const env of envs) {
      const h = await startTracked(env);
      const headers = { host: `rebind.evil.example:${h.port}`, ...bearer(VIEWER) };
      for (const path of ['/api/overview', '/', '/metrics', '/docs/json', '/api/no-such-route']) {
        const res = await raw(h.port, 'GET', path, headers);
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        expect(JSON.parse(res.body)).toMatchObject({ error: 'HOST_REFUSED' });
      }
      expect((await raw(h.port, 'GET', '/healthz', headers)).status).toBe(200);
      for (const host of [`localhost:${h.port}`, `127.0.0.1:${h.port}`, `[::1]:${h.port}`, `127.1.2.3:${h.port}`]) {
        expect({
          host,
          status: (await raw(h.port, 'GET', '/api/overview', { ...bearer(VIEWER), host })).status,
        }).toEqual({ host, status: 200 });
      }
      for (const host of ['localhost.evil.example', 'localhost@evil.example', '127.0.0.1.nip.io']) {
        expect({
          host,
          status: (await raw(h.port, 'GET', '/api/overview', { ...bearer(VIEWER), host })).status,
        }).toEqual({ host, status: 403 });
      }
    }
  });

  it('answers the hosts in allowedHosts, and checks no Host on a non-loopback bind unless they are set', async () => {
    const h = await startTracked({ EVENTSCOPE_ALLOWED_HOSTS: 'eventscope.internal' });
    expect((await raw(h.port, 'GET', '/api/overview', { ...bearer(VIEWER), host: 'eventscope.internal' })).status).toBe(
      200,
    );
    expect((await raw(h.port, 'GET', '/api/overview', { ...bearer(VIEWER), host: 'other.internal' })).status).toBe(403);
    // Bound to every address (a container): any Host, until allowedHosts names some.
    const open = await startTracked({}, { host: '0.0.0.0' });
    expect(
      (await raw(open.port, 'GET', '/api/overview', { ...bearer(VIEWER), host: 'collector.svc:8080' })).status,
    ).toBe(200);
    const pinned = await startTracked({ EVENTSCOPE_ALLOWED_HOSTS: 'eventscope.example.com' }, { host: '0.0.0.0' });
    expect(
      (await raw(pinned.port, 'GET', '/api/overview', { ...bearer(VIEWER), host: 'collector.svc:8080' })).status,
    ).toBe(403);
    expect(
      (await raw(pinned.port, 'GET', '/api/overview', { ...bearer(VIEWER), host: 'eventscope.example.com' })).status,
    ).toBe(200);
  });
});

describe('auth: principal resolvers (the hook SSO plugs into)', () => {
  it('takes a principal from a resolver when no bearer header is sent; a wrong bearer still fails', async () => {
    const config = loadConfig({ EVENTSCOPE_TOKENS: '' }, { dataDir: tempDir() });
    const app = await buildApp({ config, background: false });
    try {
      expect(app.auth.enabled).toBe(false);
      app.auth.addResolver((req) =>
        req.headers.cookie === 'session=bob' ? { subject: 'bob', role: 'viewer', via: 'session' } : null,
      );
      expect(app.auth.enabled).toBe(true);
      let seen: unknown;
      app.get('/api/test-whoami', (req) => {
        seen = req.principal;
        return {};
      });
      expect((await app.inject({ url: '/api/overview' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/test-whoami', headers: { cookie: 'session=bob' } })).statusCode).toBe(200);
      expect(seen).toEqual({ subject: 'bob', role: 'viewer', via: 'session' });
      expect(
        (await app.inject({ url: '/api/overview', headers: { cookie: 'session=bob', ...bearer(WRONG) } })).statusCode,
      ).toBe(401);
      const write = await app.inject({
        method: 'POST',
        url: '/api/dlqs/x.dlq/mark',
        headers: { cookie: 'session=bob' },
      });
      expect(write.statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });
});

describe('auth: config', () => {
  it('refuses malformed token entries, naming the key and never echoing a token', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ EVENTSCOPE_TOKENS: 'alice:admin:0123456789abcdefXYZ' }, /EVENTSCOPE_TOKENS.*role must be viewer or operator/],
      [{ EVENTSCOPE_TOKENS: 'alice:viewer:short' }, /EVENTSCOPE_TOKENS.*at least 16/],
      [{ EVENTSCOPE_TOKENS: 'no-colons-0123456789abcdefXYZ' }, /EVENTSCOPE_TOKENS.*name:role:token/],
      [{ EVENTSCOPE_TOKENS: `a:viewer:${VIEWER},a:operator:${OPERATOR}` }, /EVENTSCOPE_TOKENS.*used twice/],
      [{ EVENTSCOPE_INGEST_TOKEN: 'short' }, /EVENTSCOPE_INGEST_TOKEN/],
      [{ EVENTSCOPE_ALLOWED_ORIGINS: 'https://x.example/path' }, /EVENTSCOPE_ALLOWED_ORIGINS/],
      [{ EVENTSCOPE_ALLOWED_HOSTS: 'http://x.example' }, /EVENTSCOPE_ALLOWED_HOSTS/],
    ];
    for (const [env, message] of cases) {
      let err: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) as unknown });
      expect((err as Error).message).not.toContain('0123456789abcdef');
    }
  });

  it('refuses ingest or metrics tokens alone (the API would answer nobody), naming the keys', async () => {
    const app = await buildApp({
      config: loadConfig({ EVENTSCOPE_INGEST_TOKEN: INGEST }, { dataDir: tempDir() }),
      background: false,
    });
    await expect(app.ready()).rejects.toThrow(/EVENTSCOPE_INGEST_TOKEN.*EVENTSCOPE_TOKENS/);
    await app.close().catch(() => undefined);
  });

  it('logs at start what protects the collector, with token names and never a token', async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => void lines.push(line) };
    const config = loadConfig(
      { EVENTSCOPE_TOKENS: TOKENS, EVENTSCOPE_INGEST_TOKEN: INGEST, EVENTSCOPE_ALLOWED_HOSTS: 'eventscope.internal' },
      { dataDir: tempDir() },
    );
    const app = await buildApp({ config, background: false, logger: { level: 'info', stream } });
    try {
      await app.ready();
      const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'auth');
      expect(line).toMatchObject({
        auth: 'on',
        tokens: ['alice (viewer)', 'ops (operator)', 'ingest-token (ingest)'],
        hostCheck: 'on',
        allowedHosts: ['eventscope.internal'],
      });
      for (const secret of [VIEWER, OPERATOR, INGEST]) expect(lines.join('\n')).not.toContain(secret);
    } finally {
      await app.close();
    }
  });

  it('keeps EVENTSCOPE_API_TOKEN working as an operator token, and masks every token for logging', async () => {
    const config = loadConfig(
      { EVENTSCOPE_API_TOKEN: 'legacy-short', EVENTSCOPE_TOKENS: TOKENS, EVENTSCOPE_METRICS_TOKEN: METRICS },
      { dataDir: tempDir() },
    );
    const logged = JSON.stringify(redactConfig(config));
    for (const secret of ['legacy-short', VIEWER, OPERATOR, METRICS]) expect(logged).not.toContain(secret);
    const app = await buildApp({ config, background: false });
    try {
      const res = await app.inject({ method: 'POST', url: '/api/dlqs/x.dlq/mark', headers: bearer('legacy-short') });
      expect(res.statusCode).toBe(404);
      expect((await app.inject({ url: '/api/overview', headers: bearer('legacy-short') })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/overview', headers: bearer('legacy-shorT') })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('auth: audit log of refused attempts', () => {
  it('stores at most 60 refused attempts a minute and counts the rest, so a flood cannot drown the log', async () => {
    const h = await start();
    try {
      const statuses = new Set<number>();
      for (let i = 0; i < 80; i++) statuses.add((await raw(h.port, 'POST', '/api/dlqs/flood.dlq/mark')).status);
      expect([...statuses]).toEqual([401]);
      const log = JSON.parse((await raw(h.port, 'GET', '/api/audit-log?limit=500', bearer(VIEWER))).body) as AuditLog;
      const refused = log.entries.filter((e) => e.result === 'refused: unauthorized');
      expect(refused.length).toBeGreaterThanOrEqual(60);
      expect(refused.length).toBeLessThan(65);
      const metrics = (await raw(h.port, 'GET', '/metrics', bearer(VIEWER))).body;
      const dropped = /^eventscope_audit_failures_total\{reason="refused_rate"\} (\d+)/m.exec(metrics);
      expect(Number(dropped?.[1])).toBe(80 - refused.length);
    } finally {
      await h.close();
    }
  });
});

describe('auth: audit log (real broker)', () => {
  it('records a DLQ mark with who, what and from where, and refused writes, newest first', async () => {
    const admin = await connectAdmin();
    const topic = `${uniqueName('authtest')}.dlq`;
    await createTopicsLed(admin, { topics: [{ topic, numPartitions: 1 }] });
    const h = await start({}, { groupsInclude: 'authtest-none-*' });
    try {
      await h.app.kafkaMonitor.pollOnce();
      const ua = { 'user-agent': 'auth-test/1' };
      const refusedAnon = await raw(h.port, 'POST', `/api/dlqs/${topic}/mark`, ua);
      expect(refusedAnon.status).toBe(401);
      const refusedViewer = await raw(h.port, 'POST', `/api/dlqs/${topic}/mark`, { ...ua, ...bearer(VIEWER) });
      expect(refusedViewer.status).toBe(403);
      const foreign = await raw(h.port, 'POST', `/api/dlqs/${topic}/mark`, {
        ...ua,
        ...bearer(OPERATOR),
        origin: 'http://evil.example',
      });
      expect(foreign.status).toBe(403);
      const mark = await raw(
        h.port,
        'POST',
        `/%61pi/dlqs/${topic}/mark`,
        { ...ua, ...bearer(OPERATOR), 'content-type': 'application/json' },
        '{}',
      );
      expect(mark.status).toBe(200);
      // Reads are not state changes: no rows for them.
      await raw(h.port, 'GET', '/api/overview', bearer(VIEWER));

      const log = JSON.parse((await raw(h.port, 'GET', '/api/audit-log', bearer(VIEWER))).body) as AuditLog;
      const action = 'POST /api/dlqs/:topic/mark';
      const target = `topic=${topic}`;
      expect(log.entries.map((e) => [e.subject, e.role, e.action, e.target, e.result])).toEqual([
        ['ops', 'operator', action, target, 'ok'],
        ['ops', 'operator', action, target, 'refused: origin'],
        ['alice', 'viewer', action, target, 'refused: forbidden'],
        ['anonymous', null, action, target, 'refused: unauthorized'],
      ]);
      expect(log.entries[0]).toMatchObject({ via: 'token', remoteAddress: '127.0.0.1', userAgent: 'auth-test/1' });
      expect(log.entries[0]?.timeMs).toBeGreaterThan(Date.now() - 60_000);

      // Paged, newest first.
      const page1 = JSON.parse((await raw(h.port, 'GET', '/api/audit-log?limit=3', bearer(VIEWER))).body) as AuditLog;
      expect(page1.entries).toHaveLength(3);
      expect(page1.nextBefore).toBe(page1.entries[2]?.id);
      const page2 = JSON.parse(
        (await raw(h.port, 'GET', `/api/audit-log?limit=3&before=${page1.nextBefore}`, bearer(VIEWER))).body,
      ) as AuditLog;
      expect(page2.entries.map((e) => e.result)).toEqual(['refused: unauthorized']);
      expect(page2.nextBefore).toBeNull();
      expect((await raw(h.port, 'GET', '/api/audit-log?limit=0', bearer(VIEWER))).status).toBe(400);
      expect((await raw(h.port, 'GET', '/api/audit-log?before=abc', bearer(VIEWER))).status).toBe(400);
    } finally {
      await h.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
