/** Starts the collector host in a child process and talks to it. */
import { fork, type ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The lean entries: this process drives the load beside the collector on the same cores, so it
// loads none of the collector's app (the package root is ~30 MB of heap to collect).
import type { EventHops } from '@eventscope/collector';
import { COLLECTOR_ENV, COLLECTOR_NODE_FLAGS } from '@eventscope/collector/node-flags';
import { TRACE_EXPORT_PATH } from '@eventscope/collector/otlp';
import type { HostRequest, LagCycle, Usage } from './collector-host.ts';

const HOST = fileURLToPath(new URL('./collector-host.ts', import.meta.url));

type Op = HostRequest extends infer R ? (R extends { op: infer O } ? O : never) : never;

export interface Collector {
  url: string;
  /** The OTLP/gRPC receiver's port on 127.0.0.1. */
  grpcPort: number;
  dataDir: string;
  pid: number;
  usage(): Promise<Usage>;
  /** Resolves when every accepted span is in the store. */
  flush(): Promise<Usage>;
  lookup(eventIds: string[]): Promise<{ ms: number[]; hops: number }>;
  /** store.event(id) of each id, in the collector process. */
  events(eventIds: string[]): Promise<EventHops[]>;
  /** One lag cycle (KafkaMonitor.pollOnce), timed inside the collector. */
  lagCycle(): Promise<LagCycle>;
  /** The same cycle over the collector's former kafkajs adapter (figure 4's old client). */
  lagCycleKafkajs(): Promise<LagCycle>;
  /** Closes the app, ends the process, and removes the data dir unless `keep`. */
  close(keep?: boolean): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  /** Extra node flags for the collector process, e.g. ['--cpu-prof']. */
  execArgv?: string[];
  intakeQueueSpans?: number;
  /** Extra environment of the collector process (e.g. BENCH_POSTGRES_URL). */
  env?: Record<string, string>;
}

export async function startCollector(o: StartOptions = {}): Promise<Collector> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'eventscope-bench-'));
  const child: ChildProcess = fork(HOST, [], {
    env: {
      // The collector's production environment (MALLOC_ARENA_MAX), unless set here.
      ...COLLECTOR_ENV,
      ...process.env,
      BENCH_DATA_DIR: dataDir,
      // Unset: the collector's default queue (so its memory is what users get).
      BENCH_INTAKE_QUEUE_SPANS: o.intakeQueueSpans !== undefined ? String(o.intakeQueueSpans) : '',
      ...o.env,
    },
    // BENCH_COLLECTOR_FLAGS, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof', profiles the collector under test.
    // The collector's production V8 flags, then any extra ones.
    execArgv: [
      ...COLLECTOR_NODE_FLAGS,
      ...(o.execArgv ?? (process.env.BENCH_COLLECTOR_FLAGS ?? '').split(' ').filter((x) => x !== '')),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let grpcPort = 0;
  const url = await new Promise<string>((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`collector host exited (${code}) before ready`));
    child.once('exit', onExit);
    child.on(
      'message',
      (m: {
        ready?: boolean;
        url?: string;
        grpcPort?: number;
        id?: number;
        ok?: boolean;
        value?: unknown;
        error?: string;
      }) => {
        if (m.ready) {
          child.off('exit', onExit);
          grpcPort = m.grpcPort ?? 0;
          resolve(m.url as string);
          return;
        }
        const p = pending.get(m.id ?? -1);
        if (!p) return;
        pending.delete(m.id as number);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(`collector host: ${m.error}`));
      },
    );
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`collector host exited (${code})`));
    pending.clear();
  });
  const call = <T>(op: Op, extra: Record<string, unknown> = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, op, ...extra });
    });
  return {
    url,
    grpcPort,
    dataDir,
    pid: child.pid as number,
    usage: () => call<Usage>('usage'),
    flush: () => call<Usage>('flush'),
    lookup: (eventIds) => call<{ ms: number[]; hops: number }>('lookup', { eventIds }),
    events: (eventIds) => call<EventHops[]>('events', { eventIds }),
    lagCycle: () => call<LagCycle>('lagCycle'),
    lagCycleKafkajs: () => call<LagCycle>('lagCycleKafkajs'),
    async close(keep = false) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await call('close').catch(() => undefined);
      await exited;
      if (!keep && !o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * POSTs bodies to /v1/traces with `concurrency` requests in flight, pulling bodies lazily
 * from `bodies` (so a large store is generated without holding it in memory). A 503 (intake
 * queue full) is retried after a short pause, as an OTLP exporter would.
 */
export async function post(
  url: string,
  contentType: string,
  bodies: Iterator<{ body: Buffer; spans: number }>,
  concurrency: number,
): Promise<{ requests: number; spans: number; retries: number }> {
  return drive(bodies, concurrency, async (body) => {
    const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body });
    await res.arrayBuffer();
    if (res.status === 200) return true;
    if (res.status !== 503) throw new Error(`POST /v1/traces: ${res.status}`);
    return false;
  });
}

/**
 * The same as `post` over OTLP/gRPC: protobuf bodies as TraceService/Export calls on one HTTP/2
 * connection, `concurrency` calls in flight. UNAVAILABLE and RESOURCE_EXHAUSTED (the receiver's
 * backpressure, with RetryInfo) are retried after a short pause, as `post` retries a 503.
 */
export async function postGrpc(
  port: number,
  bodies: Iterator<{ body: Buffer; spans: number }>,
  concurrency: number,
): Promise<{ requests: number; spans: number; retries: number }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const identity = (b: Buffer): Buffer => b;
  const exportCall = (body: Buffer): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => {
      client.makeUnaryRequest(TRACE_EXPORT_PATH, identity, identity, body, (err) => resolve(err));
    });
  const retryable = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED]);
  try {
    return await drive(bodies, concurrency, async (body) => {
      const err = await exportCall(body);
      if (err === null) return true;
      if (!retryable.has(err.code)) throw new Error(`TraceService/Export: ${err.message}`);
      return false;
    });
  } finally {
    client.close();
  }
}

/**
 * Sends every body with `concurrency` sends in flight, pulling them lazily. `send` answers true
 * when the body was taken and false on backpressure: retried after a short pause, as an OTLP
 * exporter would, at most 1000 times.
 */
async function drive(
  bodies: Iterator<{ body: Buffer; spans: number }>,
  concurrency: number,
  send: (body: Buffer) => Promise<boolean>,
): Promise<{ requests: number; spans: number; retries: number }> {
  let requests = 0;
  let spans = 0;
  let retries = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const n = bodies.next();
      if (n.done) return;
      for (let attempt = 0; !(await send(n.value.body)); attempt++) {
        if (attempt > 1000) throw new Error('still refused (backpressure) after 1000 retries');
        retries++;
        await new Promise((r) => setTimeout(r, 20));
      }
      requests++;
      spans += n.value.spans;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return { requests, spans, retries };
}
