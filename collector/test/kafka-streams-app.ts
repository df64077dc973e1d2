/**
 * A real Kafka Streams application for tests: java/EventscopeStreamsApp.java (a stateless or a
 * stateful topology on the streams rebalance protocol, KIP-1071) run with Java's source launcher
 * on the broker's jars plus kafka-streams of the same version, from Maven Central (cached under
 * .eventscope/cache like the Java agent). The broker's distribution has no kafka-streams jar.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atomicDir, cacheDir, copyArtifact, DEFAULT_KAFKA_VERSION, logDir } from '@eventscope/devstack';
import { removeDir } from './harness.ts';
import { bootstrap, startJavaApp, type JavaApp } from './kafka-tools.ts';

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

export interface StreamsApp extends JavaApp {
  /** Records it processed so far. */
  processed: () => number;
  /** From its next record on it takes `delayMs` per record (slower than a producer). */
  slow(delayMs: number): Promise<void>;
  /**
   * Blocks its stream thread before the next record (a processor stuck on a call): the member
   * stays and owns its tasks, nothing more is processed or committed; resolves once it is held.
   */
  hold(timeoutMs?: number): Promise<void>;
  /** SIGTERM: the app commits, leaves the group and exits (its state directory removed); resolves with its exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL if still running, and its state directory removed (afterAll). */
  kill(): void;
}

/** The internal topics of the stateful topology (Kafka Streams prefixes them with the application id). */
export const statefulTopics = (applicationId: string) => ({
  repartition: `${applicationId}-by-value-repartition`,
  changelog: `${applicationId}-counts-changelog`,
});

/**
 * Starts the Streams app: `applicationId` is its group id; it reads `topic` from the beginning.
 * With `standbyReplicas` its topology is stateful (records counted by value through a
 * repartition topic, see statefulTopics) and it sets the group's streams.num.standby.replicas
 * to that number before it starts.
 */
export async function startStreamsApp(
  applicationId: string,
  topic: string,
  options: { standbyReplicas?: number } = {},
): Promise<StreamsApp> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'es-streams-'));
  const stateful = options.standbyReplicas === undefined ? [] : [String(options.standbyReplicas)];
  const app = await startJavaApp(
    'EventscopeStreamsApp',
    [bootstrap(), applicationId, topic, stateDir, ...stateful],
    [await kafkaStreamsJar()],
  ).catch((err: unknown) => {
    removeDir(stateDir);
    throw err;
  });
  return {
    ...app,
    get stderr() {
      return app.stderr;
    },
    processed: () => app.count('PROCESSED'),
    slow: (delayMs) => app.send(`slow ${delayMs}`),
    hold: (timeoutMs) => app.send('hold', 'HELD', timeoutMs),
    async stop(timeoutMs) {
      try {
        return await app.stop(timeoutMs);
      } finally {
        removeDir(stateDir);
      }
    },
    kill() {
      app.kill();
      removeDir(stateDir);
    },
  };
}
