/**
 * A demo (demo-services: every service as a child process, then the load generator) with a
 * topic prefix, data dir and registry subjects of its own, for the figures that need real
 * saga traffic (1: tracing overhead, 6: end-to-end latency). `cleanup()` removes what it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo, type LoadgenSummary, type RunningDemo } from '../../../demo-services/src/index.ts';
import { Kafka, logLevel } from 'kafkajs';

export const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

export interface BenchDemo {
  prefix: string;
  demo: RunningDemo;
  /** The load generator's summary (ground truth) once it exits. */
  summary: Promise<LoadgenSummary>;
  /** Last lines of the children's output (for error messages). */
  output: string[];
  /** Stops the services (SIGTERM: they commit offsets and flush their spans). */
  stop(): Promise<void>;
  /** Stops if needed, then deletes the prefixed topics, groups and subjects and the data dir. */
  cleanup(): Promise<void>;
}

export interface DemoOptions {
  label: string;
  tracing: boolean;
  /** OTLP/HTTP endpoint (base URL) the services export to, when tracing. */
  otlpEndpoint?: string;
  loadgenArgs: string[];
}

export async function runDemo(o: DemoOptions): Promise<BenchDemo> {
  const prefix = `bench-${o.label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}.`;
  const dataDir = mkdtempSync(join(tmpdir(), `eventscope-bench-demo-`));
  const summaryFile = join(dataDir, 'loadgen.json');
  const output: string[] = [];
  const env: NodeJS.ProcessEnv = {
    KAFKA_BROKERS: BROKERS,
    SCHEMA_REGISTRY_URL: REGISTRY_URL,
    DEMO_TOPIC_PREFIX: prefix,
    DEMO_DATA_DIR: dataDir,
    ORDER_HOST: '127.0.0.1',
    ORDER_PORT: '0',
    DEMO_LOG_LEVEL: 'warn',
    DEMO_TRACING: o.tracing ? 'on' : 'off',
    ...(o.otlpEndpoint !== undefined ? { OTEL_EXPORTER_OTLP_ENDPOINT: o.otlpEndpoint } : {}),
  };
  let stopped = false;
  const cleanupOnly = async (): Promise<void> => {
    await deletePrefixed(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  };
  let demo: RunningDemo;
  try {
    demo = await startDemo({
      env,
      loadgenArgs: o.loadgenArgs,
      summaryFile,
      output: (line) => {
        output.push(line);
        if (output.length > 200) output.shift();
      },
    });
  } catch (err) {
    await cleanupOnly();
    throw new Error(`demo did not start: ${(err as Error).message}\n${output.slice(-20).join('\n')}`, {
      cause: err,
    });
  }
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await demo.stop();
  };
  return {
    prefix,
    demo,
    summary: demo.summary as Promise<LoadgenSummary>,
    output,
    stop,
    async cleanup() {
      await stop();
      await cleanupOnly();
    },
  };
}

/** Deletes the topics, consumer groups and registry subjects whose names start with `prefix`. */
export async function deletePrefixed(prefix: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'eventscope-bench', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const res = await fetch(`${REGISTRY_URL}/subjects`).catch(() => undefined);
  if (!res?.ok) return;
  const subjects = (await res.json()) as string[];
  for (const s of subjects.filter((x) => x.startsWith(prefix))) {
    await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${REGISTRY_URL}/subjects/${encodeURIComponent(s)}?permanent=true`, { method: 'DELETE' }).catch(
      () => undefined,
    );
  }
}
