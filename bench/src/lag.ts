/**
 * Figure 4: one lag cycle vs the number of groups and partitions on the local broker, and the
 * same lag computed by Kafka's own tool (ConsumerGroupCommand --describe --all-groups, from
 * the broker's jars) on the same broker, timed in the same run, interleaved; ratio tool/ours.
 *
 * Setup: one topic of P partitions with a record on each, and G groups with committed offsets
 * on every partition (admin setOffsets: groups without members, which the collector still
 * reports). Both sides describe every group on the broker (it is shared: other groups count
 * too, and the totals are recorded). Topic and groups are deleted afterwards.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { kafkaClasspath } from '@eventscope/devstack';
import { Kafka, logLevel } from 'kafkajs';
import { startCollector } from './lib/collector.ts';
import { finish, KAFKA_VERSION, machine } from './lib/machine.ts';
import { intEnv, printTable, writeResult, type FigureResult } from './lib/results.ts';
import { round, spread } from './lib/stats.ts';

export interface LagOptions {
  groups: number;
  partitions: number;
  runs: number;
  brokers: string;
}

/** Kafka's consumer-groups tool; resolves with wall time and the number of partition lines. */
function kafkaTool(brokers: string): Promise<{ ms: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      'java',
      [
        '-cp',
        kafkaClasspath(KAFKA_VERSION),
        'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
        '--bootstrap-server',
        brokers,
        '--describe',
        '--all-groups',
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
  const topic = `bench-lag-${suffix}`;
  const groups = Array.from({ length: o.groups }, (_, i) => `bench-lag-${suffix}-g${i}`);
  const kafka = new Kafka({ clientId: 'eventscope-bench', brokers: o.brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const notes: string[] = [];
  const setupT0 = performance.now();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: o.partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: o.partitions * 2 }, (_, i) => ({ partition: i % o.partitions, value: 'x' })),
    });
    await producer.disconnect();
    for (const g of groups) {
      // Offset 1 of 2: every partition lags by one record.
      await admin.setOffsets({
        groupId: g,
        topic,
        partitions: Array.from({ length: o.partitions }, (_, p) => ({ partition: p, offset: '1' })),
      });
    }
    notes.push(
      `setup (topic, records, ${o.groups} groups' offsets) took ${round((performance.now() - setupT0) / 1000, 1)} s`,
    );
    const c = await startCollector();
    try {
      const warm = await c.lagCycle(); // connects, learns metadata: not counted
      notes.push(`first (cold) cycle ${round(warm.ms, 0)} ms, not counted`);
      const ours: number[] = [];
      const theirs: number[] = [];
      let groupsSeen = 0;
      let partitionsSeen = 0;
      let toolLines = 0;
      for (let r = 0; r < o.runs; r++) {
        const order = r % 2 === 0 ? ['ours', 'tool'] : ['tool', 'ours'];
        for (const who of order) {
          if (who === 'ours') {
            const x = await c.lagCycle();
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
      const ratios = spread(ours.map((x, i) => (theirs[i] as number) / x));
      const fmt = (s: { min: number; max: number }, d = 0): string => `${round(s.min, d)}..${round(s.max, d)}`;
      const size = `${o.groups} groups x ${o.partitions} partitions`;
      return {
        figure: 'figure4-lag',
        title: 'One lag cycle vs groups x partitions, and Kafka ConsumerGroupCommand on the same broker',
        at: new Date().toISOString(),
        machine: finish(m),
        method:
          'Collector process with background work off; KafkaMonitor.pollOnce() timed inside it (offsets, lag, time lag, ' +
          'status for every group on the broker). Kafka 4.4.0 ConsumerGroupCommand --describe --all-groups run from the ' +
          'broker jars as a fresh JVM each time (its start-up included: that is what an operator runs). Interleaved, ' +
          'alternating which goes first; medians with min..max; ratio = tool / ours per pair.',
        params: {
          ...o,
          groupsOnBroker: groupsSeen,
          partitionsDescribed: partitionsSeen,
          toolPartitionLines: toolLines,
        },
        rows: [
          {
            metric: `lag cycle, ${size} (+ other groups on the broker)`,
            value: round(a.median, 0),
            unit: 'ms',
            spread: fmt(a),
            target: '<= 1,000 (at 100 x 1,000)',
            meets: o.groups >= 100 && o.partitions >= 1000 ? a.median <= 1000 : undefined,
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
        raw: { ours, theirs },
      };
    } finally {
      await c.close();
    }
  } finally {
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export function lagOptionsFromEnv(): LagOptions {
  return {
    groups: intEnv('BENCH_LAG_GROUPS', 10),
    partitions: intEnv('BENCH_LAG_PARTITIONS', 100),
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
