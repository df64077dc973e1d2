/**
 * One client flooding the OTLP intake must not starve the others: above the queue's high-water
 * mark a client holding more than its fair share gets 503 + Retry-After while a polite client
 * (another service.name, or another address without one) is still accepted.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { metricValue, useListeningApp } from './traces-helpers.ts';

const h = useListeningApp({ overrides: { intakeQueueSpans: 1000 } });

const now = BigInt(Date.now()) * 1_000_000n;
function payload(service: string | null, n: number) {
  return {
    resourceSpans: [
      {
        resource: { attributes: service ? [{ key: 'service.name', value: { stringValue: service } }] : [] },
        scopeSpans: [
          {
            spans: Array.from({ length: n }, () => ({
              traceId: randomBytes(16).toString('hex'),
              spanId: randomBytes(8).toString('hex'),
              name: 'x',
              startTimeUnixNano: String(now),
              endTimeUnixNano: String(now),
            })),
          },
        ],
      },
    ],
  };
}

describe('intake fairness', () => {
  it('a flooding client gets 503s while a polite one keeps getting 200s, by service.name or by address', async () => {
    // A slow store: 2,000 spans a second.
    let stored = 0;
    h.app.intake.setConsumer(async (spans) => {
      await new Promise((r) => setTimeout(r, spans.length / 2));
      stored += spans.length;
    });
    // By service.name (one address), by address (no service.name), and a flooder whose requests
    // (600 spans) do not fit at all: refused before decoding for its address only, and only when
    // the address is all that names it.
    for (const [flooder, polite, size] of [
      [{ service: 'flooder', ip: '10.0.0.1' }, { service: 'polite', ip: '10.0.0.1' }, 200],
      [{ service: null, ip: '10.0.0.2' }, { service: null, ip: '10.0.0.3' }, 200],
      [{ service: 'big', ip: '10.0.0.4' }, { service: 'polite', ip: '10.0.0.5' }, 600],
      // ... and one sharing the polite client's address (an agent): told apart only after decoding.
      [{ service: 'big', ip: '10.0.0.6' }, { service: 'polite', ip: '10.0.0.6' }, 600],
    ] as const) {
      const post = (c: { service: string | null; ip: string }, n: number) =>
        h.app.inject({
          method: 'POST',
          url: '/v1/traces',
          remoteAddress: c.ip,
          headers: { 'content-type': 'application/json' },
          payload: payload(c.service, n),
        });
      const flooderCodes: number[] = [];
      const politeCodes: number[] = [];
      let flooding = true;
      const flood = (async () => {
        while (flooding) {
          // Several requests at once, like a batch exporter with concurrency.
          const codes = await Promise.all([post(flooder, size), post(flooder, size), post(flooder, size)]);
          flooderCodes.push(...codes.map((r) => r.statusCode));
          await new Promise((r) => setImmediate(r));
        }
      })();
      for (let i = 0; i < 30; i++) {
        const res = await post(polite, 5);
        politeCodes.push(res.statusCode);
        if (res.statusCode !== 200) console.log(res.body);
        await new Promise((r) => setTimeout(r, 10));
      }
      flooding = false;
      await flood;
      expect(
        politeCodes.every((c) => c === 200),
        `polite: ${politeCodes.join(',')}`,
      ).toBe(true);
      expect(flooderCodes.filter((c) => c === 503).length, `flooder: ${flooderCodes.join(',')}`).toBeGreaterThan(0);
      await h.app.intake.flush();
    }
    expect(await metricValue(h.app, 'eventscope_spans_rejected_total', { reason: 'fair_share' })).toBeGreaterThan(0);
    expect(stored).toBeGreaterThan(0);
  });
});
