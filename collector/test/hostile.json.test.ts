/**
 * Deeply nested JSON is refused before it is parsed, on every JSON intake: OTLP/JSON on the main
 * port and the OTLP port, and the API's own JSON body parser. 8 MB of `[[[[...` held the event loop
 * 2.9 s and took 180 MB of heap; now it is a 400 in milliseconds, well under the cost of parsing
 * the same size of flat valid JSON.
 */
import { describe, expect, it } from 'vitest';
import { jsonDepthProblem, MAX_JSON_DEPTH } from '../src/lib/json-guard.ts';
import { useListeningApp } from './traces-helpers.ts';

const h = useListeningApp();

const MB8 = 8 * 1024 * 1024 - 1024; // under the 8 MB body limit
// Buffers made once: encoding an 8 MB string per request would be the test's own cost, not the server's.
const nestedArrays = Buffer.from('['.repeat(MB8 / 2) + ']'.repeat(MB8 / 2));
const nestedObjects = (() => {
  const n = Math.floor(MB8 / 6);
  return Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n));
})();

/** A POST of a JSON body to `url` (the OTLP/JSON intake by default) of the main port or the OTLP port. */
const postJson = (payload: string | Buffer, url = '/v1/traces', app: { inject: typeof h.app.inject } = h.app) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

/** Event-loop block (the longest gap between ticks of a 1 ms timer, ms) and heap growth (MB) while `fn` runs. */
async function cost<T>(fn: () => Promise<T>): Promise<{ result: T; blockMs: number; heapMb: number }> {
  const h0 = process.memoryUsage().heapUsed;
  let last = performance.now();
  let blockMs = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    blockMs = Math.max(blockMs, t - last);
    last = t;
  }, 1);
  const result = await fn();
  await new Promise((r) => setTimeout(r, 10)); // a last tick after the request
  clearInterval(timer);
  blockMs = Math.max(blockMs, performance.now() - last);
  return { result, blockMs, heapMb: (process.memoryUsage().heapUsed - h0) / 1e6 };
}

describe('deeply nested JSON', () => {
  it('the depth scan counts outside strings only, and stops at the limit', () => {
    const deep = (n: number) => Buffer.from('['.repeat(n) + ']'.repeat(n));
    expect(jsonDepthProblem(deep(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonDepthProblem(deep(MAX_JSON_DEPTH + 1))).toMatch(/nested deeper than 64 levels/);
    expect(jsonDepthProblem(Buffer.from(JSON.stringify({ s: '[[[[{{{{'.repeat(100), t: '\\"[[[' })))).toBeUndefined();
    expect(jsonDepthProblem(Buffer.from('"\\\\"' + '['.repeat(65)))).toMatch(/deeper/);
  });

  it('the string skip agrees with a byte-by-byte scan on escapes, odd bytes and unterminated strings', () => {
    // The scan of 710aea4 (one byte at a time) as the oracle, over random bodies of the bytes that matter.
    const byteScan = (bytes: Uint8Array, max: number): number | undefined => {
      let depth = 0;
      let inString = false;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i] as number;
        if (inString) {
          if (b === 0x5c) i++;
          else if (b === 0x22) inString = false;
        } else if (b === 0x22) inString = true;
        else if (b === 0x5b || b === 0x7b) {
          if (++depth > max) return i;
        } else if (b === 0x5d || b === 0x7d) depth--;
      }
      return undefined;
    };
    const alphabet = Buffer.from('[]{}"\\a\u00e9', 'utf8');
    let seed = 21;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let run = 0; run < 2000; run++) {
      const body = Buffer.alloc(1 + (next() % 200), 0);
      for (let i = 0; i < body.length; i++) body[i] = alphabet[next() % alphabet.length] as number;
      const at = byteScan(body, 4);
      const problem = jsonDepthProblem(body, 4);
      expect(
        problem === undefined ? undefined : Number(/at byte (\d+)/.exec(problem)?.[1]),
        body.toString('latin1'),
      ).toBe(at);
      // A Uint8Array that is no Buffer (a view into a larger buffer) reads the same.
      const whole = Buffer.concat([Buffer.from('xx'), body]);
      expect(jsonDepthProblem(new Uint8Array(whole.buffer, whole.byteOffset + 2, body.length), 4)).toBe(problem);
    }
    // Backslash runs before a quote: even ends the string, odd escapes it.
    expect(jsonDepthProblem(Buffer.from('"\\\\"[[[[['), 4)).toMatch(/at byte 8\b/);
    expect(jsonDepthProblem(Buffer.from('"\\\\\\"[[[[['), 4)).toBeUndefined();
  });

  for (const [name, body] of [
    ['arrays', nestedArrays],
    ['objects', nestedObjects],
  ] as const) {
    it(`8 MB of nested ${name} is a 400 on both OTLP ports and the API, without blocking the event loop`, async () => {
      for (const [where, app, url] of [
        ['main port', h.app, '/v1/traces'],
        ['OTLP port', h.otlp, '/v1/traces'],
        ['API JSON body', h.app, '/api/dlqs/x.dlq/mark'],
      ] as const) {
        // A small one first: the first request down a path compiles it.
        const small = '['.repeat(100) + ']'.repeat(100);
        await postJson(small, url, app);
        // The best of three: on a shared machine a single run also measures other processes.
        const runs = [];
        for (let i = 0; i < 3; i++) {
          runs.push(await cost(() => postJson(body, url, app)));
        }
        const { result } = runs[0] as (typeof runs)[number];
        const blockMs = Math.min(...runs.map((r) => r.blockMs));
        const heapMb = Math.min(...runs.map((r) => r.heapMb));
        expect(result.statusCode, `${where}: ${result.body}`).toBe(400);
        expect(result.body, where).toMatch(/nested deeper than 64 levels/);
        expect(blockMs, where).toBeLessThan(200);
        expect(heapMb, where).toBeLessThan(60);
      }
    });
  }

  it('flat valid JSON of the same size still parses, and costs more than the refusal', async () => {
    const span = (i: number) => ({
      traceId: i.toString(16).padStart(32, '1'),
      spanId: i.toString(16).padStart(16, '2'),
      name: 'x',
      kind: 1,
      startTimeUnixNano: String(Date.now() * 1e6),
      endTimeUnixNano: String(Date.now() * 1e6),
      attributes: [{ key: 'k', value: { stringValue: 'v'.repeat(100) } }],
    });
    const one = JSON.stringify(span(1)).length;
    const spans = Array.from({ length: Math.floor(MB8 / (one + 1)) - 10 }, (_, i) => span(i + 1));
    const flat = Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }));
    expect(flat.length).toBeLessThan(MB8);
    expect(flat.length).toBeGreaterThan(MB8 * 0.95);
    const valid = await cost(() => postJson(flat));
    expect(valid.result.statusCode).toBe(200);
    const refused = await cost(() => postJson(nestedArrays));
    expect(refused.result.statusCode).toBe(400);
    console.log(
      `8 MB flat valid OTLP/JSON: event loop blocked ${valid.blockMs.toFixed(0)} ms, heap +${valid.heapMb.toFixed(0)} MB; ` +
        `8 MB nested: ${refused.blockMs.toFixed(0)} ms, +${refused.heapMb.toFixed(0)} MB`,
    );
    expect(refused.blockMs).toBeLessThan(valid.blockMs);
  });
});
