/**
 * The clean crash path flushes spans: a process that dies of an uncaught exception or an
 * unhandled rejection still delivers the spans in its exporter's buffer (the schedule is set
 * far beyond the process's life, so only the crash path's flush can send them), and exits 1.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-flush.ts');
const received: string[] = [];
let server: Server;
let endpoint = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise((r) => server?.close(r)));

function runCrashing(mode: 'throw' | 'reject'): Promise<number | null> {
  const child = spawn(process.execPath, [FIXTURE, mode], {
    env: {
      ...process.env,
      DEMO_TRACING: 'on',
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('spans on the clean crash path', () => {
  it.each(['throw', 'reject'] as const)('a process that crashes (%s) flushes its spans and exits 1', async (mode) => {
    const before = received.length;
    const code = await runCrashing(mode);
    expect(code).toBe(1);
    const bodies = received.slice(before).join('\n');
    expect(bodies).toContain('before the crash');
    expect(bodies).toContain('crashy');
  });
});
