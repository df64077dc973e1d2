/**
 * Property-based hostile requests against every API route of the real app (app.inject): random
 * and member-named path ids, percent-encoding (valid or not), doubled slashes, and random query
 * parameters. Never a 5xx or a throw: a JSON answer, and a 4xx carries a reason.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startHarness, type Harness } from './traces-helpers.ts';

let h: Harness;
interface Route {
  method: 'GET' | 'POST';
  path: string;
  query: string[];
}
let routes: Route[] = [];

beforeAll(async () => {
  h = await startHarness();
  // Every route of the OpenAPI document under /api/ (the SSE stream never ends: left out).
  type Op = { parameters?: { name: string; in: string }[] };
  const doc = h.app.swagger() as { paths: Record<string, Record<string, Op>> };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([m]) => (m === 'get' || m === 'post') && path.startsWith('/api/') && path !== '/api/stream')
      .map(([m, op]) => ({
        method: m.toUpperCase() as Route['method'],
        path,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      })),
  );
});
afterAll(async () => {
  await h.close();
  removeDir(h.dataDir);
});

const MEMBER_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype'];
const raw = fc.oneof(
  fc.constantFrom(...MEMBER_NAMES, '', '.', '..', '%', '%zz', '%E0%A4%A', '%00', 'a'.repeat(250), '/'.repeat(8)),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 700 }),
  fc.constantFrom('99999999999999999~x', '1e400', '-1', 'NaN', 'Infinity', '1.5', '0x10', '9007199254740993'),
);
/** Percent-encodes every UTF-8 byte (encodeURIComponent throws on a lone surrogate). */
const bytesEncoded = (s: string): string =>
  [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const enc = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return bytesEncoded(s);
  }
};
/** A value put in a URL: percent-encoded, raw (slashes, ?, # and % as they are) or encoded twice. */
const inUrl = fc.tuple(raw, fc.constantFrom('encoded', 'raw', 'twice')).map(([v, how]) => {
  if (how === 'encoded') return enc(v);
  if (how === 'twice') return enc(enc(v));
  // Raw, but a URL cannot hold spaces or control characters at all: those encoded.
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\s\u0000-\u001f\u007f-\uffff]/g, bytesEncoded);
});

function expectAnswered(res: { statusCode: number; body: string; headers: Record<string, unknown> }, what: string) {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 400 && String(res.headers['content-type']).startsWith('application/json')) {
    const body = JSON.parse(res.body) as { message?: unknown };
    expect(typeof body.message, `${what}: ${res.body.slice(0, 300)}`).toBe('string');
  }
}

describe('API routes under hostile paths and query parameters', () => {
  it('a numeric query parameter that overflows to Infinity is a 400 with a reason (was a 500)', async () => {
    for (const url of [
      '/api/flows?rangeSeconds=1e400',
      '/api/overview?rangeSeconds=Infinity',
      '/api/audit?limit=1e400',
      '/api/sagas?limit=-1e999',
      '/api/dlqs/x.dlq/history?since=1e400',
    ]) {
      const res = await h.app.inject(url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(/is not a finite number/);
    }
  });

  it('path ids: random, member names, percent-encoding, doubled slashes', async () => {
    expect(routes.length).toBeGreaterThan(10);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        inUrl,
        fc.boolean(),
        fc.boolean(),
        async (i, value, doubleSlash, trailing) => {
          const r = routes[i % routes.length] as Route;
          let url = r.path.replace(/\{[^}]+\}/g, value);
          if (doubleSlash) url = url.replace(/\//g, (s, at: number) => (at > 0 && at % 2 === 0 ? '//' : s));
          if (trailing) url += '/';
          const res = await h.app.inject({ method: r.method, url });
          expectAnswered(res, `${r.method} ${url.slice(0, 200)}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('query parameters: random values for the declared ones and unknown ones, repeated', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.tuple(fc.oneof(fc.constantFrom('q', 'cursor', 'limit', 'since'), raw), inUrl), { maxLength: 6 }),
        fc.boolean(),
        async (i, params, useDeclared) => {
          const r = routes[i % routes.length] as Route;
          const names = r.query.length > 0 && useDeclared ? r.query : undefined;
          const qs = params
            .map(([k, v], j) => `${enc(names ? (names[j % names.length] as string) : k)}=${v}`)
            .join('&');
          const url = `${r.path.replace(/\{[^}]+\}/g, 'x.dlq')}?${qs}`;
          const res = await h.app.inject({ method: r.method, url });
          expectAnswered(res, `${r.method} ${url.slice(0, 200)}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
