/**
 * Dashboard single sign-on against a REAL OpenID provider (oidc-provider on a loopback port,
 * test/oidc-provider.ts) over real HTTP: the collector listens on a port, a small cookie-jar
 * client follows the redirects and fills in the provider's login form as a browser would.
 */
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.ts';
import { safeReturnTo } from '../src/auth/oidc-session.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { brokers, connectAdmin, createTopicsLed, uniqueName, waitFor } from './kafka-helpers.ts';
import { startTestProvider, type TestProvider } from './oidc-provider.ts';

const SESSION_SECRET = 'test-session-secret-0123456789-abcdefghijklmnop';

/** A free loopback port: the public URL (and so the redirect URI) must be known before the app is built. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface SetCookie {
  name: string;
  value: string;
  attrs: Map<string, string>;
}

function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const i = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const a of rest) {
    const j = a.indexOf('=');
    const k = (j < 0 ? a : a.slice(0, j)).trim().toLowerCase();
    attrs.set(k, j < 0 ? '' : a.slice(j + 1).trim());
  }
  return { name: pair.slice(0, i).trim(), value: pair.slice(i + 1).trim(), attrs };
}

/** A cookie jar per origin and manual redirects: what a browser does, visible to the test. */
class Agent {
  readonly jars = new Map<string, Map<string, string>>();
  /** Every Set-Cookie seen, latest last. */
  readonly setCookies: SetCookie[] = [];

  jar(origin: string): Map<string, string> {
    let j = this.jars.get(origin);
    if (!j) this.jars.set(origin, (j = new Map<string, string>()));
    return j;
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const jar = this.jar(u.origin);
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const c = parseSetCookie(line);
      this.setCookies.push(c);
      const expired =
        c.attrs.get('max-age') === '0' ||
        (c.attrs.has('expires') && Date.parse(c.attrs.get('expires') ?? '') < Date.now());
      if (expired || c.value === '') jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return res;
  }

  lastSetCookie(name: string): SetCookie | undefined {
    return this.setCookies.findLast((c) => c.name === name);
  }
}

function location(res: Response, base: string): string {
  const loc = res.headers.get('location');
  if (!loc) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(loc, base).href;
}

interface Sso {
  app: App;
  url: string;
  provider: TestProvider;
  dataDir: string;
  close(): Promise<void>;
}

async function startSso(overrides: Partial<Config> = {}, env: Record<string, string> = {}): Promise<Sso> {
  const provider = await startTestProvider();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  provider.registerRedirects(url);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'eventscope-sso-'));
  const config = loadConfig(
    {
      KAFKA_BROKERS: brokers.join(','),
      EVENTSCOPE_OIDC_ISSUER_URL: provider.issuer,
      EVENTSCOPE_OIDC_CLIENT_ID: provider.clientId,
      EVENTSCOPE_OIDC_CLIENT_SECRET: provider.clientSecret,
      EVENTSCOPE_OIDC_SCOPES: 'openid,profile,roles',
      EVENTSCOPE_PUBLIC_URL: url,
      EVENTSCOPE_SESSION_SECRET: SESSION_SECRET,
      ...env,
    },
    { dataDir, port, otlpPort: 0, ...overrides },
  );
  const app = await buildApp({ config, background: false });
  await app.listen({ host: '127.0.0.1', port });
  return {
    app,
    url,
    provider,
    dataDir,
    async close() {
      await app.close();
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs the sign-in from /auth/login through the provider's login form to the redirect back to the collector. */
async function throughProvider(agent: Agent, sso: Sso, login: string, returnTo = '/'): Promise<string> {
  let res = await agent.fetch(`${sso.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(res.status).toBe(303);
  let next = location(res, sso.url);
  // The provider: authorization endpoint -> interaction (login form) -> POST -> resume -> back to us.
  for (let hops = 0; hops < 10 && !next.startsWith(sso.url); hops++) {
    res = await agent.fetch(next);
    if (res.status === 200) {
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      expect(html).toContain('name="login"');
      if (!action) throw new Error('no login form at the provider');
      res = await agent.fetch(new URL(action.replaceAll('&amp;', '&'), next).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString(),
      });
    }
    next = location(res, next);
  }
  expect(next.startsWith(`${sso.url}/auth/callback?`)).toBe(true);
  return next;
}

async function signIn(sso: Sso, login: string, returnTo = '/'): Promise<{ agent: Agent; res: Response }> {
  const agent = new Agent();
  const callback = await throughProvider(agent, sso, login, returnTo);
  const res = await agent.fetch(callback);
  return { agent, res };
}

function csrfOf(agent: Agent, sso: Sso): string {
  return agent.jar(new URL(sso.url).origin).get('eventscope_csrf') ?? '';
}

describe('OIDC single sign-on with a real provider', () => {
  let sso: Sso;
  let admin: Admin;
  let dlqTopic: string;

  beforeAll(async () => {
    dlqTopic = `${uniqueName('es-sso')}.dlq`;
    admin = await connectAdmin();
    await createTopicsLed(admin, { topics: [{ topic: dlqTopic, numPartitions: 1 }] });
    sso = await startSso({ dlqPattern: dlqTopic, groupsInclude: 'es-sso-none-*' });
    await sso.app.kafkaMonitor.pollOnce();
  });

  afterAll(async () => {
    await sso?.close();
    await admin?.deleteTopics({ topics: [dlqTopic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('sends the browser to the provider with PKCE S256, state and nonce, kept in a sealed short-lived cookie', async () => {
    const agent = new Agent();
    const res = await agent.fetch(`${sso.url}/auth/login?returnTo=%2Fdlqs`);
    expect(res.status).toBe(303);
    const to = new URL(location(res, sso.url));
    expect(to.origin).toBe(sso.provider.issuer);
    const q = to.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(sso.provider.clientId);
    expect(q.get('redirect_uri')).toBe(`${sso.url}/auth/callback`);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('nonce')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('scope')).toBe('openid profile roles');
    const tx = agent.lastSetCookie('eventscope_oidc');
    expect(tx?.attrs.has('httponly')).toBe(true);
    expect(tx?.attrs.get('samesite')?.toLowerCase()).toBe('lax');
    expect(tx?.attrs.get('path')).toBe('/auth/callback');
    expect(Number(tx?.attrs.get('max-age'))).toBeLessThanOrEqual(600);
    // Sealed: neither the verifier nor the state can be read from it.
    expect(tx?.value).not.toContain(q.get('state'));
    expect(Buffer.from(tx?.value ?? '', 'base64url').toString('latin1')).not.toContain(q.get('state'));
    // Two sign-ins never share state, nonce or challenge.
    const again = new URL(location(await new Agent().fetch(`${sso.url}/auth/login`), sso.url)).searchParams;
    expect(again.get('state')).not.toBe(q.get('state'));
    expect(again.get('nonce')).not.toBe(q.get('nonce'));
    expect(again.get('code_challenge')).not.toBe(q.get('code_challenge'));
  });

  it('signs alice in as operator: session cookie flags, /auth/me, back to the page she came from', async () => {
    const { agent, res } = await signIn(sso, 'alice', '/dlqs?x=1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dlqs?x=1');
    const session = agent.lastSetCookie('eventscope_session');
    expect(session?.attrs.has('httponly')).toBe(true);
    expect(session?.attrs.get('samesite')?.toLowerCase()).toBe('lax');
    expect(session?.attrs.get('path')).toBe('/');
    expect(session?.attrs.has('secure')).toBe(false); // http public URL
    expect(Number(session?.attrs.get('max-age'))).toBe(28800);
    expect(session?.value).not.toContain('alice');
    const csrf = agent.lastSetCookie('eventscope_csrf');
    expect(csrf?.attrs.has('httponly')).toBe(false); // the dashboard reads it
    // The sign-in cookie is used once.
    expect(agent.lastSetCookie('eventscope_oidc')?.value).toBe('');
    const me = await agent.fetch(`${sso.url}/auth/me`);
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    const body = (await me.json()) as { sso: boolean; principal: Record<string, string>; csrfToken: string };
    expect(body.sso).toBe(true);
    expect(body.principal).toEqual({ subject: 'alice', name: 'Alice Operator', role: 'operator', via: 'session' });
    expect(body.csrfToken).toBe(csrfOf(agent, sso));
    // Reads work with the session.
    expect((await agent.fetch(`${sso.url}/api/dlqs`)).status).toBe(200);
  });

  it('lets an operator mark a DLQ and refuses a viewer (403)', async () => {
    const alice = (await signIn(sso, 'alice')).agent;
    const ok = await alice.fetch(`${sso.url}/api/dlqs/${dlqTopic}/mark`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfOf(alice, sso), origin: sso.url },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { topic: string }).topic).toBe(dlqTopic);

    const bob = (await signIn(sso, 'bob')).agent;
    const me = (await (await bob.fetch(`${sso.url}/auth/me`)).json()) as { principal: { role: string } };
    expect(me.principal.role).toBe('viewer');
    expect((await bob.fetch(`${sso.url}/api/dlqs`)).status).toBe(200);
    const refused = await bob.fetch(`${sso.url}/api/dlqs/${dlqTopic}/mark`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfOf(bob, sso), origin: sso.url },
      body: '{}',
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('FORBIDDEN');
  });

  it('refuses a session-authenticated write without the CSRF token, or with a wrong one', async () => {
    const alice = (await signIn(sso, 'alice')).agent;
    const post = (headers: Record<string, string>) =>
      alice.fetch(`${sso.url}/api/dlqs/${dlqTopic}/mark`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: sso.url, ...headers },
        body: '{}',
      });
    const missing = await post({});
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { message: string }).message).toContain('x-csrf-token');
    // Another session's token does not fit this session.
    const bob = (await signIn(sso, 'bob')).agent;
    expect((await post({ 'x-csrf-token': csrfOf(bob, sso) })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrfOf(alice, sso) })).status).toBe(200);
  });

  it('refuses a callback whose state does not match the sign-in cookie, and sets no session', async () => {
    const agent = new Agent();
    const callback = new URL(await throughProvider(agent, sso, 'alice'));
    callback.searchParams.set('state', 'forged-state-value');
    const res = await agent.fetch(callback.href);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/state/);
    expect(agent.lastSetCookie('eventscope_session')).toBeUndefined();
    expect((await agent.fetch(`${sso.url}/auth/me`)).status).toBe(401);
  });

  it('refuses a callback without the sign-in cookie (another browser)', async () => {
    const agent = new Agent();
    const callback = await throughProvider(agent, sso, 'alice');
    agent.jar(new URL(sso.url).origin).clear();
    const res = await agent.fetch(callback);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('/auth/login');
  });

  it('refuses carol, whose roles claim has neither role: 403 with the reason, no session', async () => {
    const { agent, res } = await signIn(sso, 'carol');
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('FORBIDDEN');
    expect(body.message).toContain('Carol Nobody');
    expect(body.message).toContain('eventscope-operator');
    expect(agent.lastSetCookie('eventscope_session')).toBeUndefined();
    expect((await agent.fetch(`${sso.url}/auth/me`)).status).toBe(401);
  });

  it('refuses a tampered or foreign session cookie', async () => {
    const { agent } = await signIn(sso, 'bob');
    const jar = agent.jar(new URL(sso.url).origin);
    const value = jar.get('eventscope_session') ?? '';
    // Flip one character in the middle of the ciphertext.
    const i = Math.floor(value.length / 2);
    jar.set('eventscope_session', value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1));
    expect((await agent.fetch(`${sso.url}/auth/me`)).status).toBe(401);
    expect((await agent.fetch(`${sso.url}/api/dlqs`)).status).toBe(401);
    // A sign-in cookie (sealed for another purpose) is not a session either.
    const tx = new Agent();
    await tx.fetch(`${sso.url}/auth/login`);
    jar.set('eventscope_session', tx.lastSetCookie('eventscope_oidc')?.value ?? '');
    expect((await agent.fetch(`${sso.url}/auth/me`)).status).toBe(401);
  });

  it('signs out: clears the cookies and sends the browser to the provider to end its session too', async () => {
    const { agent } = await signIn(sso, 'alice');
    const copy = agent.jar(new URL(sso.url).origin).get('eventscope_session') ?? '';
    const noCsrf = await agent.fetch(`${sso.url}/auth/logout`, { method: 'POST', headers: { origin: sso.url } });
    expect(noCsrf.status).toBe(403);
    const res = await agent.fetch(`${sso.url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': csrfOf(agent, sso), origin: sso.url },
    });
    expect(res.status).toBe(200);
    const { redirectTo } = (await res.json()) as { redirectTo: string };
    const end = new URL(redirectTo);
    expect(end.origin).toBe(sso.provider.issuer);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${sso.url}/`);
    expect(end.searchParams.get('id_token_hint')?.split('.')).toHaveLength(3);
    expect(agent.jar(new URL(sso.url).origin).has('eventscope_session')).toBe(false);
    expect((await agent.fetch(`${sso.url}/auth/me`)).status).toBe(401);
    // A copy of the signed-out cookie (another tab, or stolen) is refused too.
    const replay = await fetch(`${sso.url}/auth/me`, { headers: { cookie: `eventscope_session=${copy}` } });
    expect(replay.status).toBe(401);
    // The provider accepts the logout request (it shows its sign-out confirmation).
    const atProvider = await agent.fetch(redirectTo);
    expect(atProvider.status).toBe(200);
    expect(await atProvider.text()).toMatch(/logout|sign-?out/i);
  });

  it('says whether SSO is configured and answers 401 without a session', async () => {
    const res = await fetch(`${sso.url}/auth/me`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'UNAUTHORIZED', sso: true, loginUrl: '/auth/login' });
    expect((await fetch(`${sso.url}/api/dlqs`)).status).toBe(401);
  });

  it('only returns to paths of this site after sign-in', () => {
    expect(safeReturnTo('/sagas?x=1')).toBe('/sagas?x=1');
    expect(safeReturnTo('//evil.example')).toBe('/');
    expect(safeReturnTo('/\\evil.example')).toBe('/');
    expect(safeReturnTo('https://evil.example/')).toBe('/');
    expect(safeReturnTo('/auth/logout')).toBe('/');
    expect(safeReturnTo('/x\r\nSet-Cookie: a=b')).toBe('/');
  });
});

describe('OIDC sessions and config', () => {
  it('ends a session at its expiry, checked by the collector', async () => {
    const sso = await startSso({ sessionLifetimeSeconds: 2 });
    try {
      const { agent } = await signIn(sso, 'bob');
      expect((await agent.fetch(`${sso.url}/auth/me`)).status).toBe(200);
      // The browser would drop it at Max-Age; this client keeps sending it, the collector must refuse it.
      await waitFor(
        'the session to expire',
        async () => (await agent.fetch(`${sso.url}/auth/me`)).status === 401,
        10_000,
      );
    } finally {
      await sso.close();
    }
  });

  it('marks cookies Secure with __Host-/__Secure- names when the public URL is https', async () => {
    const provider = await startTestProvider();
    provider.registerRedirects('https://eventscope.example.com');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eventscope-sso-'));
    const config = loadConfig(
      {
        KAFKA_BROKERS: brokers.join(','),
        EVENTSCOPE_OIDC_ISSUER_URL: provider.issuer,
        EVENTSCOPE_OIDC_CLIENT_ID: provider.clientId,
        EVENTSCOPE_PUBLIC_URL: 'https://eventscope.example.com',
        EVENTSCOPE_SESSION_SECRET: SESSION_SECRET,
      },
      { dataDir, port: 0, otlpPort: 0 },
    );
    const app = await buildApp({ config, background: false });
    try {
      const res = await app.inject({ method: 'GET', url: '/auth/login', headers: { host: 'eventscope.example.com' } });
      expect(res.statusCode).toBe(303);
      const line = [res.headers['set-cookie']].flat().find((l) => l?.startsWith('__Secure-eventscope_oidc='));
      expect(line).toBeDefined();
      expect(line).toMatch(/;\s*Secure/i);
      expect(new URL(String(res.headers.location)).searchParams.get('redirect_uri')).toBe(
        'https://eventscope.example.com/auth/callback',
      );
      // The public URL is this collector: its Host passes the loopback bind's Host check (above:
      // no allowedHosts set) and its Origin the state-change check, also behind a proxy that
      // rewrites Host to the collector's own address.
      const logout = await app.inject({
        method: 'POST',
        url: '/auth/logout',
        headers: { host: '127.0.0.1:8080', origin: 'https://eventscope.example.com' },
      });
      expect(logout.statusCode).toBe(200);
      const foreign = await app.inject({
        method: 'POST',
        url: '/auth/logout',
        headers: { host: 'eventscope.example.com', origin: 'https://evil.example' },
      });
      expect(foreign.statusCode).toBe(403);
    } finally {
      await app.close();
      await provider.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers /auth/me without SSO: open collector 200, token-only collector 401 with sso false', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eventscope-sso-'));
    const open = await buildApp({ config: loadConfig({}, { dataDir, port: 0, otlpPort: 0 }), background: false });
    const tokens = await buildApp({
      config: loadConfig(
        { EVENTSCOPE_TOKENS: 'ci:viewer:viewer-token-0123456789' },
        { dataDir: path.join(dataDir, 't'), port: 0, otlpPort: 0 },
      ),
      background: false,
    });
    try {
      const a = await open.inject({ method: 'GET', url: '/auth/me' });
      expect(a.statusCode).toBe(200);
      expect(a.json()).toEqual({ sso: false, authEnabled: false, principal: null, csrfToken: null });
      const b = await tokens.inject({ method: 'GET', url: '/auth/me' });
      expect(b.statusCode).toBe(401);
      expect(b.json()).toMatchObject({ sso: false, loginUrl: null });
      const c = await tokens.inject({
        method: 'GET',
        url: '/auth/me',
        headers: { authorization: 'Bearer viewer-token-0123456789' },
      });
      expect(c.json()).toMatchObject({ principal: { subject: 'ci', role: 'viewer', via: 'token' } });
      const login = await tokens.inject({ method: 'GET', url: '/auth/login' });
      expect(login.statusCode).toBe(404);
      expect(login.json<{ message: string }>().message).toContain('single sign-on is not configured');
    } finally {
      await open.close();
      await tokens.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers 503 SSO_UNAVAILABLE (retryable) while the provider is down, and signs in once it is back', async () => {
    const provider = await startTestProvider();
    const issuer = new URL(provider.issuer);
    await provider.close();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eventscope-sso-'));
    const app = await buildApp({
      config: loadConfig(
        {
          EVENTSCOPE_OIDC_ISSUER_URL: issuer.href,
          EVENTSCOPE_OIDC_CLIENT_ID: 'eventscope',
          EVENTSCOPE_PUBLIC_URL: 'http://127.0.0.1:9',
          EVENTSCOPE_SESSION_SECRET: SESSION_SECRET,
        },
        { dataDir, port: 0, otlpPort: 0 },
      ),
      background: false,
    });
    try {
      // The collector started although the provider is down; a sign-in says what is wrong.
      const res = await app.inject({ method: 'GET', url: '/auth/login' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ error: 'SSO_UNAVAILABLE', retryable: true });
      expect(res.json<{ message: string }>().message).toContain(issuer.href);
      // Discovery is tried again on the next sign-in: a provider on that port now answers.
      const back = await startTestProvider(Number(issuer.port));
      back.registerRedirects('http://127.0.0.1:9');
      try {
        const again = await app.inject({ method: 'GET', url: '/auth/login' });
        expect(again.statusCode).toBe(303);
        expect(String(again.headers.location)).toContain(`${issuer.origin}/auth?`);
      } finally {
        await back.close();
      }
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a partly configured SSO at start, naming what is missing', () => {
    expect(() => loadConfig({ EVENTSCOPE_OIDC_ISSUER_URL: 'https://idp.example.com/realms/ops' })).toThrow(
      /oidcClientId \(EVENTSCOPE_OIDC_CLIENT_ID\), publicUrl \(EVENTSCOPE_PUBLIC_URL\), sessionSecret \(EVENTSCOPE_SESSION_SECRET\) are missing/,
    );
    expect(() =>
      loadConfig({
        EVENTSCOPE_OIDC_ISSUER_URL: 'https://idp.example.com/realms/ops',
        EVENTSCOPE_OIDC_CLIENT_ID: 'eventscope',
        EVENTSCOPE_PUBLIC_URL: 'https://eventscope.example.com',
      }),
    ).toThrow(/sessionSecret \(EVENTSCOPE_SESSION_SECRET\) is missing.*openssl rand/);
    expect(() => loadConfig({ EVENTSCOPE_OIDC_CLIENT_SECRET: 'x' })).toThrow(/oidcIssuerUrl/);
    expect(() => loadConfig({ EVENTSCOPE_SESSION_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});
