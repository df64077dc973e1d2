/**
 * Kafka's own Java tools and clients from the broker's jars (the shared dev broker's version):
 * console consumers of each group type, the config tool, the share-groups tool. What a user
 * runs, so the collector's figures are checked against Kafka's, not against our own client.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { DEFAULT_KAFKA_VERSION, findJava, kafkaClasspath } from '@eventscope/devstack';
import { brokers } from './kafka-helpers.ts';

const exec = promisify(execFile);
const bootstrap = (): string => brokers[0] ?? '127.0.0.1:9092';

async function java(): Promise<string> {
  const jdk = await findJava(17);
  if (!jdk) throw new Error('no Java 17+ for Kafka tools');
  return jdk.java;
}

/** Starts one of Kafka's tools (`mainClass`) against the test broker; the caller waits on it. */
export async function kafkaTool(mainClass: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(
    await java(),
    ['-cp', kafkaClasspath(DEFAULT_KAFKA_VERSION), mainClass, '--bootstrap-server', bootstrap(), ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Drain stderr (log lines) so a chatty tool never blocks on a full pipe.
  child.stderr?.resume();
  return child;
}

export interface ShareToolRow {
  topic: string;
  partition: number;
  startOffset: number | null;
  lag: number | null;
}

/** Kafka's ShareGroupCommand (`kafka-share-groups.sh --describe`), parsed. */
export async function shareToolDescribe(groupId: string): Promise<ShareToolRow[]> {
  const { stdout } = await exec(
    await java(),
    [
      '-cp',
      kafkaClasspath(DEFAULT_KAFKA_VERSION),
      'org.apache.kafka.tools.consumer.group.ShareGroupCommand',
      '--bootstrap-server',
      bootstrap(),
      '--describe',
      '--group',
      groupId,
    ],
    { timeout: 60_000 },
  );
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const headerIndex = lines.findIndex((l) => l.startsWith('GROUP'));
  if (headerIndex < 0) throw new Error(`unexpected share-groups output:\n${stdout}`);
  const header = (lines[headerIndex] ?? '').trim().split(/\s+/);
  const col = (name: string): number => header.indexOf(name);
  const num = (s: string | undefined): number | null => (s === undefined || s === '-' ? null : Number(s));
  return lines.slice(headerIndex + 1).map((line) => {
    const f = line.trim().split(/\s+/);
    return {
      topic: f[col('TOPIC')] ?? '',
      partition: Number(f[col('PARTITION')]),
      startOffset: num(f[col('START-OFFSET')]),
      lag: num(f[col('LAG')]),
    };
  });
}
