/**
 * Kafka's own Java tools and clients from the broker's jars (the shared dev broker's version):
 * console consumers of each group type, the config tool, the share- and streams-groups tools. What a user
 * runs, so the collector's figures are checked against Kafka's, not against our own client. Also
 * small Java clients of our own (java/*.java, compiled once with javac, run on the same jars).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  compileJava,
  DEFAULT_KAFKA_VERSION,
  findJava,
  jvmOptions,
  kafkaClasspath,
  requireJava,
} from '@eventscope/devstack';
import { BROKERS, waitFor } from './harness.ts';

const exec = promisify(execFile);
export const bootstrap = (): string => BROKERS.split(',')[0] ?? '127.0.0.1:9092';

async function java(): Promise<string> {
  const jdk = await findJava(17);
  if (!jdk) throw new Error('no Java 17+ for Kafka tools');
  return jdk.java;
}

/** Starts one of Kafka's tools (`mainClass`) against the test broker; the caller waits on it. */
export async function kafkaTool(mainClass: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(
    await java(),
    [
      ...jvmOptions(),
      '-cp',
      kafkaClasspath(DEFAULT_KAFKA_VERSION),
      mainClass,
      '--bootstrap-server',
      bootstrap(),
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Drain stderr (log lines) so a chatty tool never blocks on a full pipe.
  child.stderr?.resume();
  return child;
}

/**
 * A table cell by column name, in one row of a tool's output; `toEnd`: that column and all after
 * it (a last column with spaces in it).
 */
type Cell = (column: string, toEnd?: boolean) => string | undefined;

const num = (s: string | undefined): number | null => (s === undefined || s === '-' ? null : Number(s));

/** One of Kafka's group tools (`mainClass`) run with `--describe --group <groupId>` (and `extra`): its table's rows. */
async function describeGroup(
  mainClass: string,
  groupId: string,
  extra: string[] = [],
  server = bootstrap(),
): Promise<Cell[]> {
  const { stdout } = await exec(
    await java(),
    [
      ...jvmOptions(),
      '-cp',
      kafkaClasspath(DEFAULT_KAFKA_VERSION),
      mainClass,
      '--bootstrap-server',
      server,
      '--describe',
      '--group',
      groupId,
      ...extra,
    ],
    { timeout: 60_000 },
  );
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const headerIndex = lines.findIndex((l) => l.startsWith('GROUP'));
  if (headerIndex < 0) throw new Error(`unexpected ${mainClass} output:\n${stdout}`);
  const header = (lines[headerIndex] ?? '').trim().split(/\s+/);
  return lines.slice(headerIndex + 1).map((line) => {
    const f = line.trim().split(/\s+/);
    return (column, toEnd) => (toEnd ? f.slice(header.indexOf(column)).join(' ') : f[header.indexOf(column)]);
  });
}

export interface ToolRow {
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number;
  lag: number | null;
}

/** A row of a tool's offsets table; the lag column is `LAG` or (streams groups) `OFFSET-LAG`. */
const offsetRow =
  (lagColumn: string) =>
  (cell: Cell): ToolRow => ({
    topic: cell('TOPIC') ?? '',
    partition: Number(cell('PARTITION')),
    currentOffset: num(cell('CURRENT-OFFSET')),
    logEndOffset: Number(cell('LOG-END-OFFSET')),
    lag: num(cell(lagColumn)),
  });

/** Kafka's own ConsumerGroupCommand (`kafka-consumer-groups.sh --describe`), parsed; `server`: another cluster's broker. */
export async function kafkaToolDescribe(groupId: string, server?: string): Promise<ToolRow[]> {
  const rows = await describeGroup('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', groupId, [], server);
  return rows.map(offsetRow('LAG'));
}

export interface ShareToolRow {
  topic: string;
  partition: number;
  startOffset: number | null;
  lag: number | null;
}

/** Kafka's ShareGroupCommand (`kafka-share-groups.sh --describe`), parsed. */
export async function shareToolDescribe(groupId: string): Promise<ShareToolRow[]> {
  const rows = await describeGroup('org.apache.kafka.tools.consumer.group.ShareGroupCommand', groupId);
  return rows.map((cell) => ({
    topic: cell('TOPIC') ?? '',
    partition: Number(cell('PARTITION')),
    startOffset: num(cell('START-OFFSET')),
    lag: num(cell('LAG')),
  }));
}

/**
 * Kafka's StreamsGroupCommand (`kafka-streams-groups.sh --describe --offsets --verbose`), parsed:
 * per input partition of a group with members (the 4.4 tool prints nothing for an empty group).
 */
export async function streamsToolOffsets(groupId: string): Promise<ToolRow[]> {
  const rows = await describeGroup('org.apache.kafka.tools.streams.StreamsGroupCommand', groupId, [
    '--offsets',
    '--verbose',
  ]);
  return rows.map(offsetRow('OFFSET-LAG'));
}

/** A member's tasks of one kind: subtopology id -> partitions (task `<subtopology>_<partition>`). */
export type StreamsToolTasks = Map<string, number[]>;

export interface StreamsToolMember {
  memberId: string;
  memberEpoch: number;
  processId: string;
  clientId: string;
  /**
   * Its ASSIGNMENTS column by kind: ACTIVE, STANDBY, WARMUP, TARGET-ACTIVE, TARGET-STANDBY,
   * TARGET-WARMUP; a kind without tasks is absent.
   */
  tasks: Map<string, StreamsToolTasks>;
}

/**
 * The tool's ASSIGNMENTS column, `ACTIVE: 0:[1]; 1:[0,2]; STANDBY: 1:[1]; TARGET-ACTIVE: ...`
 * (the tool leaves out a kind without tasks): kind -> subtopology id -> partitions.
 */
function streamsToolTasks(text: string): Map<string, StreamsToolTasks> {
  const out = new Map<string, StreamsToolTasks>();
  let kind: StreamsToolTasks | undefined;
  for (const m of text.matchAll(/((?:TARGET-)?(?:ACTIVE|STANDBY|WARMUP)):|([^\s:;[\]]+):\s*\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) {
      kind = new Map();
      out.set(m[1], kind);
    } else if (kind && m[2] !== undefined) {
      const partitions = (m[3] ?? '').split(',').filter((p) => p.trim() !== '');
      kind.set(m[2], partitions.map(Number));
    } else {
      throw new Error(`unexpected tasks in kafka-streams-groups output: ${text}`);
    }
  }
  return out;
}

/** `kafka-streams-groups.sh --describe --members --verbose`, parsed. */
export async function streamsToolMembers(groupId: string): Promise<StreamsToolMember[]> {
  const rows = await describeGroup('org.apache.kafka.tools.streams.StreamsGroupCommand', groupId, [
    '--members',
    '--verbose',
  ]);
  return rows.map((cell) => ({
    memberId: cell('MEMBER') ?? '',
    memberEpoch: Number(cell('MEMBER-EPOCH')),
    processId: cell('PROCESS') ?? '',
    clientId: cell('CLIENT-ID') ?? '',
    tasks: streamsToolTasks(cell('ASSIGNMENTS', true) ?? ''),
  }));
}

/** A Java program of ours (java/<name>.java) running on the broker's jars. */
export interface JavaApp {
  /** Lines it printed. */
  readonly stdout: string[];
  /** The tail of its log (why it failed, if it did). */
  readonly stderr: string;
  /** How many lines it printed that are `line` or start with `line `. */
  count(line: string): number;
  /** Writes `command` to its stdin; resolves once it printed `reply` (at once without one). */
  send(command: string, reply?: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM; resolves with its exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL if still running (afterAll). */
  kill(): void;
}

/** Runs java/<name>.java with `args`, on the broker's jars and `classpath`. */
export async function startJavaApp(name: string, args: string[], classpath: string[] = []): Promise<JavaApp> {
  const jdk = await requireJava(17, `the test app ${name}`);
  const libs = [...classpath, kafkaClasspath(DEFAULT_KAFKA_VERSION)].join(path.delimiter);
  const source = path.join(path.dirname(fileURLToPath(import.meta.url)), 'java', `${name}.java`);
  const classes = await compileJava(jdk, source, libs);
  const child = spawn(
    jdk.java,
    ['-XX:TieredStopAtLevel=1', ...jvmOptions(), '-cp', `${classes}${path.delimiter}${libs}`, name, ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    // A chunk may end inside a line: that part waits for the next chunk.
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines.filter((l) => l !== ''));
  });
  // Kept short: the tail says why the app failed; a chatty app never blocks on a full pipe.
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  // An app that died is seen by the caller waiting on its answer, with its log; not an unhandled EPIPE.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    stdout,
    get stderr() {
      return stderr;
    },
    count: (line) => stdout.filter((l) => l === line || l.startsWith(`${line} `)).length,
    async send(command, reply, timeoutMs = 20_000) {
      child.stdin.write(`${command}\n`);
      if (reply === undefined) return;
      await waitFor(`${name} to answer ${command} with ${reply}`, () => stdout.includes(reply), timeoutMs).catch(
        (err: unknown) => {
          throw new Error(`${String(err)}\n${stderr}`);
        },
      );
    },
    async stop(timeoutMs = 30_000) {
      if (child.exitCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not exit:\n${stderr}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export interface SlowConsumer extends JavaApp {
  /** Records it consumed and committed (acknowledged) so far. */
  consumed: () => number;
  /** It finishes the record in hand and takes no more; the member stays in the group. */
  hold(): Promise<void>;
}

/**
 * java/EventscopeSlowConsumer.java: Kafka's Java client in `groupId`, a consumer-protocol group
 * (KIP-848) or a share group (KIP-932), reading `topic` from the earliest offset one record at a
 * time, `delayMs` per record, committing (acknowledging) each.
 */
export async function startSlowConsumer(
  type: 'consumer' | 'share',
  groupId: string,
  topic: string,
  delayMs: number,
): Promise<SlowConsumer> {
  const app = await startJavaApp('EventscopeSlowConsumer', [bootstrap(), groupId, topic, type, String(delayMs)]);
  return Object.assign(app, {
    consumed: () => app.count('CONSUMED'),
    hold: () => app.send('hold', 'HELD'),
  });
}
