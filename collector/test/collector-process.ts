/**
 * Collectors as real processes (server.ts in a child process, on free ports and a data dir of
 * their own), for the tests where one of several must die by `kill -9`: the OTLP-in-Kafka
 * receiver's rebalance and the Kafka monitor's election.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BROKERS, removeDir, tempDir, waitFor } from './harness.ts';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));

export interface CollectorProcess {
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
  /** http://127.0.0.1:<main port> */
  url: string;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** Everything it wrote (JSON log lines). */
  output(): string;
  /** The value of a metric in its /metrics (summed over the series matching `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGKILL: no shutdown, no last commit. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful shutdown), then removes its data dir unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

/**
 * Starts `node src/server.ts` with these EVENTSCOPE_* variables over the test defaults; resolves
 * once it listens. `dataDir`: another process's, to restart on its store.
 */
export async function spawnCollector(
  env: Record<string, string>,
  dataDir = tempDir('proc'),
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH,
      KAFKA_BROKERS: BROKERS,
      EVENTSCOPE_DATA_DIR: dataDir,
      EVENTSCOPE_PORT: '0',
      EVENTSCOPE_OTLP_PORT: '0',
      EVENTSCOPE_OTLP_GRPC_PORT: '0',
      ...env,
    },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The main app listens first (server.ts), so its address is the first one logged.
  const url = await waitFor(
    'the collector process to listen',
    () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) return m[1];
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
      return undefined;
    },
    60_000,
  );
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
    }
    return sum;
  };
  return {
    child,
    dataDir,
    url,
    exited,
    output: () => out,
    metric,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(keepData = false) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (!keepData) removeDir(dataDir);
    },
  };
}
