import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION, DevstackError, ensureKafka, ensureRegistry, isPortOpen } from '../src/index.ts';
import { requireEnv } from './helpers.ts';

function listenOnFreePort(): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined); // the prober hangs up on us; that is expected
      socket.on('close', () => sockets.delete(socket));
      socket.end('HTTP/1.1 418 not kafka\r\nConnection: close\r\n\r\n');
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const close = (): Promise<void> =>
        new Promise((r) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => r());
        });
      resolve({ port, close });
    });
  });
}

describe('devstack', () => {
  it('reuses a broker that already answers instead of starting another', async () => {
    const port = Number(requireEnv('KAFKA_BROKERS').split(',')[0]?.split(':')[1]);
    const handle = await ensureKafka({ version: '4.4.0', port, controllerPort: 1 });
    expect(handle.owned).toBe(false);
    expect(handle.brokers).toBe(`127.0.0.1:${port}`);
    await handle.stop(); // a no-op for a reused broker
    expect(await isPortOpen(port)).toBe(true);
  });

  it('refuses a Kafka port taken by something else, naming the port', async () => {
    const squatter = await listenOnFreePort();
    try {
      const attempt = ensureKafka({ version: '4.4.0', port: squatter.port, controllerPort: squatter.port + 1 });
      await expect(attempt).rejects.toThrow(DevstackError);
      await expect(attempt).rejects.toMatchObject({ code: 'PORT_TAKEN' });
      await expect(attempt).rejects.toThrow(String(squatter.port));
    } finally {
      await squatter.close();
    }
  });

  it('refuses a registry port taken by something that is not a registry', async () => {
    const squatter = await listenOnFreePort();
    try {
      await expect(ensureRegistry({ port: squatter.port })).rejects.toMatchObject({ code: 'PORT_TAKEN' });
    } finally {
      await squatter.close();
    }
  });
});

describe('devstack failure handling', () => {
  it('reports a broker that cannot come up with its log file, and leaves no process behind', async () => {
    const squatter = await listenOnFreePort();
    const port = squatter.port;
    await squatter.close();
    // The same port for the broker and the controller listener: Kafka refuses that config.
    const attempt = ensureKafka({
      version: DEFAULT_KAFKA_VERSION,
      port,
      controllerPort: port,
      fresh: true,
      instance: 'broken',
    });
    await expect(attempt).rejects.toMatchObject({ code: 'START_FAILED' });
    await expect(attempt).rejects.toThrow(/kafka-.*broken/);
    expect(await isPortOpen(port)).toBe(false);
  });
});

describe('missing tools', () => {
  it('names Maven when it is needed and missing, and leaves no half-made cache behind', async () => {
    const { installKafka: install } = await import('../src/kafka.ts');
    const { existsSync } = await import('node:fs');
    const { cacheDir } = await import('../src/paths.ts');
    const path = await import('node:path');
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      // A version never resolved here, so Maven would really be needed.
      await expect(install('0.0.0-not-a-release')).rejects.toMatchObject({
        code: 'TOOL_MISSING',
        message: expect.stringContaining('Maven (mvn)') as unknown,
      });
    } finally {
      process.env.PATH = savedPath;
    }
    expect(existsSync(path.join(cacheDir, 'kafka-0.0.0-not-a-release', 'libs'))).toBe(false);
  });
});
