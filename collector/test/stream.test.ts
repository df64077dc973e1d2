import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Reads server-sent events from a real connection until `count` events arrived. */
function readEvents(url: string, count: number, onOpen: () => void): Promise<{ event: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: unknown }[] = [];
    const req = http.get(url, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let idx;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
          if (events.length >= count) {
            req.destroy();
            resolve(events);
          }
        }
      });
      onOpen();
    });
    req.on('error', (err) => {
      if (events.length < count) reject(err);
    });
    setTimeout(() => reject(new Error(`only ${events.length} of ${count} events within 5 s`)), 5_000).unref();
  });
}

describe('GET /api/stream', () => {
  it('relays snapshot and saga events, coalescing bursts for one saga', async () => {
    app = await buildApp({ config: loadConfig({}), background: false });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const received = readEvents(`${address}/api/stream`, 3, () => {
      setTimeout(() => {
        app?.live.emit('snapshot', { at: 1, cluster: 'default' });
        app?.live.emit('saga', { correlationId: 'o-1', status: 'in-flight' });
        app?.live.emit('saga', { correlationId: 'o-1', status: 'in-flight' }); // coalesced
        app?.live.emit('saga', { correlationId: 'o-2', status: 'completed' });
      }, 50);
    });
    const events = await received;
    expect(events).toEqual([
      { event: 'snapshot', data: { at: 1, cluster: 'default' } },
      { event: 'saga', data: { correlationId: 'o-1', status: 'in-flight' } },
      { event: 'saga', data: { correlationId: 'o-2', status: 'completed' } },
    ]);
  });

  it('does not hold up shutdown while a client is connected', async () => {
    app = await buildApp({ config: loadConfig({}), background: false });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => {
      http.get(`${address}/api/stream`, (res) => {
        res.once('data', () => resolve());
        res.on('error', () => undefined);
      });
    });
    const started = Date.now();
    await app.close();
    app = undefined;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
