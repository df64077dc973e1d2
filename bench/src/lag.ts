/**
 * Figure 4: one lag cycle vs the number of groups and partitions on the local broker, with the
 * collector's client (@platformatic/kafka), with the kafkajs 2.2.4 adapter it had before (the
 * same KafkaMonitor, lib/kafkajs-adapter.ts, in a second collector process: one monitor's
 * 100,000 group-partitions hold ~90 MB, and two in one 256 MB heap made every cycle of both
 * about twice as slow in garbage collection), and the same lag computed by Kafka's own tool (ConsumerGroupCommand --describe --all-groups, from the broker's jars) on
 * the same broker, timed in the same run, interleaved; ratio tool/ours.
 *
 * Setup: T topics with P partitions in all (P / T each) and two records on each partition, and
 * G groups with committed offsets on every partition (admin setOffsets, a few groups at a time:
 * groups without members, which the collector still reports). Both sides describe every group on the broker (it is shared: other groups count
 * too, and the totals are recorded). Topic and groups are deleted afterwards.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { jvmOptions, kafkaClasspath } from '@eventscope/devstack';
import { Kafka, logLevel } from 'kafkajs';
import { startCollector, type Collector } from './lib/collector.ts';
import { finish, KAFKA_VERSION, machine } from './lib/machine.ts';
import { intEnv, printTable, progress, writeResult, type FigureResult } from './lib/results.ts';
import { round, spread } from './lib/stats.ts';

export interface LagOptions {
  groups: number;
  /** Partitions in all, spread evenly over `topics` topics. */
  partitions: number;
  topics?: number;
  runs: number;
  brokers: string;
}

/** Kafka's consumer-groups tool; resolves with wall time and the number of partition lines. */
function kafkaTool(
  brokers: string,
  args: string[] = ['--describe', '--all-groups'],
): Promise<{ ms: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      'java',
      [
        ...jvmOptions(),
        '-cp',
        kafkaClasspath(KAFKA_VERSION),
        'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
        '--bootstrap-server',
        brokers,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`ConsumerGroupCommand exited ${code}: ${err.slice(0, 500)}`));
      const lines = out.split('\n').filter((l) => /^\S+\s+\S+\s+\d+\s/.test(l)).length;
      resolve({ ms, lines });
    });
  });
}

export async function benchLag(o: LagOptions): Promise<FigureResult> {
  const m = machine();
  const suffix = randomUUID().slice(0, 8);
  const nTopics = Math.max(1, Math.min(o.topics ?? 1, o.partitions));
  const perTopic = Math.ceil(o.partitions / nTopics);
  const topics = Array.from({ length: nTopics }, (_, t) => `bench-lag-${suffix}-t${t}`);
  const groups = Array.from({ length: o.groups }, (_, i) => `bench-lag-${suffix}-g${i}`);
  const kafka = new Kafka({ clientId: 'eventscope-bench', brokers: o.brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const notes: string[] = [];
  const setupT0 = performance.now();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: perTopic, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    // Many partitions at once: wait until every one has a leader before producing.
    for (let tries = 0; ; tries++) {
      const md = await admin.fetchTopicMetadata({ topics });
      const ready = md.topics.every(
        (t) => t.partitions.length === perTopic && t.partitions.every((p) => p.leader >= 0),
      );
      if (ready) break;
      if (tries > 120) throw new Error('partitions without a leader after 60 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    const producer = kafka.producer({ retry: { retries: 10 } });
    await producer.connect();
    await producer.sendBatch({
      topicMessages: topics.map((topic) => ({
        topic,
        messages: Array.from({ length: perTopic * 2 }, (_, i) => ({ partition: i % perTopic, value: 'x' })),
      })),
    });
    await producer.disconnect();
    // Offset 1 of 2: every partition lags by one record. Committed by Kafka's own tool (the admin API's
    // alterConsumerGroupOffsets: no group join per group and topic, as kafkajs' setOffsets needs), 25 groups a call.
    for (let i = 0; i < groups.length; i += 25) {
      await kafkaTool(o.brokers, [
        ...['--reset-offsets', '--to-offset', '1', '--execute'],
        ...groups.slice(i, i + 25).flatMap((g) => ['--group', g]),
        ...topics.flatMap((t) => ['--topic', t]),
      ]);
      progress(`setup: offsets committed for ${Math.min(i + 25, groups.length)}/${groups.length} groups`);
    }
    notes.push(
      `setup (${nTopics} topic(s) x ${perTopic} partitions, records, ${o.groups} groups' offsets) took ` +
        `${round((performance.now() - setupT0) / 1000, 1)} s`,
    );
    progress(`${o.groups} groups x ${nTopics * perTopic} partitions set up; timing ${o.runs} runs`);
    const c = await startCollector();
    // The kafkajs monitor in a process (and V8 heap) of its own, as a collector on that client ran.
    const ck = await startCollector().catch(async (err: unknown) => {
      await c.close();
      throw err;
    });
    try {
      const warm = await c.lagCycle(); // connects, learns metadata: not counted
      const warmOld = await ck.lagCycleKafkajs();
      notes.push(
        `first (cold) cycle ${round(warm.ms, 0)} ms (@platformatic/kafka), ${round(warmOld.ms, 0)} ms (kafkajs), not counted`,
      );
      const ours: number[] = [];
      const old: number[] = [];
      const theirs: number[] = [];
      // The collector main thread's CPU per cycle (ms): what the cycle costs whatever else the shared machine runs.
      const oursCpu: number[] = [];
      const oldCpu: number[] = [];
      const cycle = async (host: Collector, kafkajs: boolean, cpu: number[]) => {
        const before = await host.usage();
        const x = await (kafkajs ? host.lagCycleKafkajs() : host.lagCycle());
        cpu.push(((await host.usage()).mainCpuUs - before.mainCpuUs) / 1000);
        return x;
      };
      let oldGroups = 0;
      let oldPartitions = 0;
      let groupsSeen = 0;
      let partitionsSeen = 0;
      let toolLines = 0;
      for (let r = 0; r < o.runs; r++) {
        const orders = [
          ['ours', 'old', 'tool'],
          ['tool', 'ours', 'old'],
          ['old', 'tool', 'ours'],
        ];
        for (const who of orders[r % orders.length] ?? []) {
          if (who === 'old') {
            const x = await cycle(ck, true, oldCpu);
            if (!x.ok) notes.push(`kafkajs cycle ${r} reported errors: ${JSON.stringify(x.errors)}`);
            old.push(x.ms);
            oldGroups = x.groups;
            oldPartitions = x.partitions;
          } else if (who === 'ours') {
            const x = await cycle(c, false, oursCpu);
            if (!x.ok) notes.push(`cycle ${r} reported errors: ${JSON.stringify(x.errors)}`);
            ours.push(x.ms);
            groupsSeen = x.groups;
            partitionsSeen = x.partitions;
          } else {
            const t = await kafkaTool(o.brokers);
            theirs.push(t.ms);
            toolLines = t.lines;
          }
        }
      }
      const a = spread(ours);
      const b = spread(theirs);
      const k = spread(old);
      const aCpu = spread(oursCpu);
      const kCpu = spread(oldCpu);
      const ratios = spread(ours.map((x, i) => (theirs[i] as number) / x));
      const fmt = (s: { min: number; max: number }, d = 0): string => `${round(s.min, d)}..${round(s.max, d)}`;
      const size = `${o.groups} groups x ${nTopics * perTopic} partitions`;
      return {
        figure: 'figure4-lag',
        title: 'One lag cycle vs groups x partitions, and Kafka ConsumerGroupCommand on the same broker',
        at: new Date().toISOString(),
        machine: finish(m),
        method:
          'Collector process with background work off; KafkaMonitor.pollOnce() timed inside it (offsets, lag, time lag, ' +
          "status for every group on the broker), once over the collector's client (@platformatic/kafka) and once over " +
          'the kafkajs 2.2.4 adapter it had before (the same KafkaMonitor, same options, in a second collector process ' +
          'with the same V8 flags: one heap each). Kafka 4.4.0 ' +
          'ConsumerGroupCommand --describe --all-groups run from the broker jars as a fresh JVM each time (its start-up ' +
          'included: that is what an operator runs). Interleaved, rotating which goes first; medians with min..max; ' +
          "ratio = tool / ours per run. CPU: the collector main thread's (process.threadCpuUsage) across each cycle.",
        params: {
          ...o,
          topics: nTopics,
          partitionsPerTopic: perTopic,
          groupsOnBroker: groupsSeen,
          partitionsDescribed: partitionsSeen,
          kafkajsGroupsOnBroker: oldGroups,
          kafkajsPartitionsDescribed: oldPartitions,
          toolPartitionLines: toolLines,
        },
        rows: [
          {
            metric: `lag cycle (@platformatic/kafka), ${size} (+ other groups on the broker)`,
            value: round(a.median, 0),
            unit: 'ms',
            spread: fmt(a),
            target: '<= 1,000 (at 100 x 1,000)',
            meets: o.groups >= 100 && nTopics * perTopic >= 1000 ? a.median <= 1000 : undefined,
          },
          {
            metric: `lag cycle with kafkajs 2.2.4 (the former client), ${size}`,
            value: round(k.median, 0),
            unit: 'ms',
            spread: fmt(k),
          },
          {
            metric: 'collector main-thread CPU per lag cycle (@platformatic/kafka)',
            value: round(aCpu.median, 0),
            unit: 'ms',
            spread: fmt(aCpu),
          },
          {
            metric: 'collector main-thread CPU per lag cycle (kafkajs 2.2.4)',
            value: round(kCpu.median, 0),
            unit: 'ms',
            spread: fmt(kCpu),
          },
          {
            metric: `kafka-consumer-groups --describe --all-groups, ${size}`,
            value: round(b.median, 0),
            unit: 'ms',
            spread: fmt(b),
          },
          {
            metric: 'Kafka tool time / our cycle time',
            value: round(ratios.median, 2),
            unit: 'ratio',
            spread: fmt(ratios, 2),
          },
        ],
        notes,
        raw: { ours, kafkajs: old, theirs, oursCpu, kafkajsCpu: oldCpu },
      };
    } finally {
      await Promise.all([c.close(), ck.close()]);
    }
  } finally {
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

export function lagOptionsFromEnv(): LagOptions {
  return {
    groups: intEnv('BENCH_LAG_GROUPS', 10),
    partitions: intEnv('BENCH_LAG_PARTITIONS', 100),
    topics: intEnv('BENCH_LAG_TOPICS', 1),
    runs: intEnv('BENCH_RUNS', 5),
    brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  };
}

export async function main(): Promise<void> {
  const r = await benchLag(lagOptionsFromEnv());
  printTable(r);
  console.log(`  -> ${writeResult(r)}`);
}

if (import.meta.main) await main();
