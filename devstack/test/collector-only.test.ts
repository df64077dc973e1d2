/**
 * "On your own Kafka": `npm run stack -- collector --brokers <list>` starts the collector and
 * dashboard against a broker someone else runs (here the test broker, running before and after
 * this test), and nothing else: no local broker, no registry, no demo. Ctrl-C leaves nothing.
 */
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { isPortOpen } from '../src/proc.ts';
import { CliRun, cliSandbox, killAll, processesOf, sandboxEnv } from './cli-process.ts';
import { requireEnv, uniqueName } from './helpers.ts';

const brokers = requireEnv('KAFKA_BROKERS');
const sandbox = await cliSandbox();
const env = sandboxEnv(sandbox.stateDir, sandbox.ports);

afterAll(() => {
  killAll(sandbox.stateDir);
  rmSync(sandbox.stateDir, { recursive: true, force: true });
});

describe('collector only, against your own Kafka', () => {
  it('reports the groups of the given broker, starts nothing else, and stops cleanly', async () => {
    // A consumer group with a committed offset on the user's broker, for the collector to find.
    const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const topic = uniqueName('own-kafka');
    const groupId = uniqueName('own-kafka-group');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] });

    // The collector's heap limit from the config (heapMb): started through collector/src/start.ts.
    const run = new CliRun(['collector', '--brokers', brokers], { ...env, EVENTSCOPE_HEAP_MB: '320' });
    try {
      await run.waitFor(/eventscope is running/, 90_000);
      expect(run.output).toContain(`Kafka bootstrap       ${brokers}`);
      const api = `http://127.0.0.1:${sandbox.ports.collector}`;
      expect((await fetch(`${api}/healthz`)).ok).toBe(true);
      // OTLP/gRPC served on its own port too (ES_OTLP_GRPC_PORT), and named in the summary.
      expect(run.output).toContain(`http://127.0.0.1:${sandbox.ports.otlpGrpc}`);
      expect(await isPortOpen(sandbox.ports.otlpGrpc)).toBe(true);
      // The collector polls the given broker: the group shows up with its lag of 1 message.
      const deadline = Date.now() + 60_000;
      let found: unknown;
      while (found === undefined && Date.now() < deadline) {
        const res = await fetch(`${api}/api/groups`);
        const body = JSON.stringify(await res.json());
        if (body.includes(groupId)) found = body;
        else await new Promise((r) => setTimeout(r, 500));
      }
      expect(found, `group ${groupId} in /api/groups`).toBeDefined();
      // Only the collector runs: no broker, no registry, no demo, no Prometheus of ours.
      const ours = processesOf(sandbox.stateDir);
      expect(ours.map((p) => p.cmd).join('\n')).not.toMatch(/kafka\.Kafka|quarkus-run|demo-services|prometheus/);
      const server = ours.find((p) => p.cmd.includes('collector/src/server.ts'));
      expect(server?.cmd).toContain('--max-old-space-size=320');
      for (const port of [sandbox.ports.kafka, sandbox.ports.registry, sandbox.ports.order, sandbox.ports.prometheus]) {
        expect(await isPortOpen(port)).toBe(false);
      }
      run.child.kill('SIGINT');
      expect(await run.exited(30_000)).toBe(130);
      expect(processesOf(sandbox.stateDir)).toEqual([]);
      expect(await isPortOpen(sandbox.ports.collector)).toBe(false);
      expect(await isPortOpen(sandbox.ports.otlp)).toBe(false);
      expect(await isPortOpen(sandbox.ports.otlpGrpc)).toBe(false);
    } finally {
      killAll(sandbox.stateDir);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 150_000);

  it('without --brokers (and no KAFKA_BROKERS) it says what to give', async () => {
    const bare = { ...env };
    delete bare.KAFKA_BROKERS;
    const run = new CliRun(['collector'], bare);
    expect(await run.exited(30_000)).toBe(1);
    expect(run.output).toMatch(/--brokers host1:9092/);
  });

  it('a broker that does not answer is named, and nothing is left running', async () => {
    const run = new CliRun(['collector', '--brokers', `127.0.0.1:${sandbox.ports.kafka}`], env);
    expect(await run.exited(60_000)).toBe(1);
    expect(run.output).toMatch(new RegExp(`no Kafka answered at 127\\.0\\.0\\.1:${sandbox.ports.kafka}`));
    expect(processesOf(sandbox.stateDir)).toEqual([]);
  }, 70_000);
});
