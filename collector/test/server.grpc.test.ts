/**
 * The collector process (src/server.ts) and its OTLP/gRPC port: it listens on
 * EVENTSCOPE_OTLP_GRPC_PORT, takes an export there, closes the port on SIGTERM and exits 0; a
 * port of 0 leaves gRPC off; a port already in use stops the start with a message naming the
 * variable. The in-process tests (traces.grpc.test.ts) cover what the receiver answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTOR_NODE_FLAGS } from '../src/node-flags.ts';
import { TRACE_EXPORT_PATH } from '../src/traces/otlp/protobuf.ts';
import { encodeProtobufRequest } from '../src/traces/otlp/protobuf.ts';
import { removeDir, tempDir } from './traces-helpers.ts';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'server.ts');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) removeDir(d);
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

interface Server {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the output once `pattern` appears, or rejects when the process exits first. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<number | null>;
}

function startServer(grpcPort: number): Server {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const child = spawn(process.execPath, [...COLLECTOR_NODE_FLAGS, SERVER], {
    env: {
      PATH: process.env.PATH,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      EVENTSCOPE_DATA_DIR: dataDir,
      EVENTSCOPE_PORT: '0',
      EVENTSCOPE_OTLP_PORT: '0',
      EVENTSCOPE_OTLP_GRPC_PORT: String(grpcPort),
      EVENTSCOPE_TAP_TOPICS: '',
      NODE_NO_WARNINGS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer): void => {
    out += b.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}:\n${out}`)), timeoutMs);
        const check = (): void => {
          if (pattern.test(out)) done();
        };
        const done = (err?: Error): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve(out);
        };
        listeners.add(check);
        void exited.then((code) => {
          if (!pattern.test(out)) done(new Error(`the collector exited (${code}) before ${pattern}:\n${out}`));
        });
        check();
      }),
  };
}

function exportTo(port: number, body: Uint8Array): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<grpc.ServiceError | null>((resolve) => {
    const identity = (b: Buffer): Buffer => b;
    client.makeUnaryRequest(
      TRACE_EXPORT_PATH,
      identity,
      identity,
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err) => resolve(err),
    );
  }).finally(() => client.close());
}

const now = BigInt(Date.now()) * 1_000_000n;
const oneSpan = encodeProtobufRequest({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'server-test' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: randomBytes(16),
              spanId: randomBytes(8),
              name: 'x',
              startTimeUnixNano: now.toString(),
              endTimeUnixNano: now.toString(),
            },
          ],
        },
      ],
    },
  ],
});

describe('the collector process serves OTLP/gRPC on EVENTSCOPE_OTLP_GRPC_PORT', () => {
  it('listens, takes an export, refuses a second collector on the same port by name, and closes on SIGTERM', async () => {
    const port = await freePort();
    const server = startServer(port);
    await server.waitFor(/OTLP\/gRPC receiver listening/);
    expect(await exportTo(port, oneSpan)).toBeNull();

    // A second collector wanting the same gRPC port stops with a message naming the variable.
    const second = startServer(port);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/port already in use.*EVENTSCOPE_OTLP_GRPC_PORT/);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const after = await exportTo(port, oneSpan);
    expect(after?.code).toBe(grpc.status.UNAVAILABLE);
  }, 60_000);

  it('leaves gRPC off with port 0', async () => {
    const server = startServer(0);
    await server.waitFor(/OTLP\/gRPC receiver off/);
    expect(server.output()).not.toMatch(/OTLP\/gRPC receiver listening/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 60_000);
});
