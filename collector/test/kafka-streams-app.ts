/**
 * A real Kafka Streams application for tests: java/EventscopeStreamsApp.java (a stateless
 * topology on the streams rebalance protocol, KIP-1071) run with Java's source launcher on the
 * broker's jars plus kafka-streams of the same version, from Maven Central (cached under
 * .eventscope/cache like the Java agent). The broker's distribution has no kafka-streams jar.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  atomicDir,
  cacheDir,
  copyArtifact,
  DEFAULT_KAFKA_VERSION,
  kafkaClasspath,
  logDir,
  requireJava,
} from '@eventscope/devstack';
import { BROKERS, removeDir, waitFor } from './harness.ts';

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'java', 'EventscopeStreamsApp.java');

let streamsJar: Promise<string> | undefined;

/** kafka-streams of the broker's version (its only other dependency, kafka-clients, is in the broker's libs). */
function kafkaStreamsJar(version = DEFAULT_KAFKA_VERSION): Promise<string> {
  const dir = path.join(cacheDir, `kafka-streams-${version}`);
  streamsJar ??= atomicDir(dir, (scratch) =>
    copyArtifact(
      `org.apache.kafka:kafka-streams:${version}`,
      scratch,
      path.join(logDir, `maven-kafka-streams-${version}.log`),
    ),
  ).then(() => path.join(dir, `kafka-streams-${version}.jar`));
  return streamsJar;
}

export interface StreamsApp {
  /** Lines the app printed (`STATE RUNNING`, ...). */
  readonly stdout: string[];
  /** The tail of its log (why it failed, if it did). */
  readonly stderr: string;
  /** Pauses processing (the member stays, its offsets stop moving); resolves once the app said so. */
  pause(timeoutMs?: number): Promise<void>;
  /** SIGTERM: the app commits, leaves the group and exits; resolves with its exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL if still running, and its state directory removed (afterAll). */
  kill(): void;
}

/** Starts the Streams app: `applicationId` is its group id; it reads `topic` from the beginning. */
export async function startStreamsApp(applicationId: string, topic: string): Promise<StreamsApp> {
  const [jdk, jar] = await Promise.all([requireJava(17, 'the Kafka Streams test app'), kafkaStreamsJar()]);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'es-streams-'));
  const bootstrap = BROKERS.split(',')[0] ?? '127.0.0.1:9092';
  const child: ChildProcess = spawn(
    jdk.java,
    [
      '-XX:TieredStopAtLevel=1',
      '-cp',
      [jar, kafkaClasspath(DEFAULT_KAFKA_VERSION)].join(path.delimiter),
      SOURCE,
      bootstrap,
      applicationId,
      topic,
      stateDir,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stdout: string[] = [];
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => stdout.push(...s.split('\n').filter((l) => l !== '')));
  // Kept short: the tail says why the app failed; a chatty app never blocks on a full pipe.
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    stdout,
    get stderr() {
      return stderr;
    },
    async pause(timeoutMs = 20_000) {
      child.stdin?.write('pause\n');
      await waitFor('the Streams app to pause', () => stdout.includes('PAUSED'), timeoutMs);
    },
    async stop(timeoutMs = 30_000) {
      if (child.exitCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the Streams app did not exit:\n${stderr}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, deadline]);
      } finally {
        clearTimeout(timer);
        removeDir(stateDir);
      }
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      removeDir(stateDir);
    },
  };
}
