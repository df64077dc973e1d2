/**
 * A demo (demo-services: every service as a child process, then the load generator) with a
 * topic prefix, data dir and registry subjects of its own, for the figures that need real
 * saga traffic (1: tracing overhead, 6: end-to-end latency). `cleanup()` removes what it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deletePrefixed as deleteDemoPrefixed,
  startIsolatedDemo,
  type LoadgenSummary,
  type RunningDemo,
} from '@eventscope/demo-services';

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
  let stopped = false;
  const cleanupOnly = async (): Promise<void> => {
    await deletePrefixed(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  };
  let demo: RunningDemo;
  try {
    demo = await startIsolatedDemo({
      prefix,
      dataDir,
      brokers: BROKERS,
      registryUrl: REGISTRY_URL,
      tracing: o.tracing,
      ...(o.otlpEndpoint !== undefined ? { otlpEndpoint: o.otlpEndpoint } : {}),
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
export function deletePrefixed(prefix: string): Promise<void> {
  return deleteDemoPrefixed({ prefix, brokers: BROKERS, registryUrl: REGISTRY_URL });
}
