/**
 * The shared Kafka client plugin and the background poll, as `npm start` runs them: polls by
 * itself when background is on, closes cleanly, and keeps serving (counting errors, not ready)
 * while the broker is unreachable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { brokers, removeDir, waitFor } from './kafka-helpers.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let app: App | undefined;
let dir: string | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  if (dir) removeDir(dir);
});

function config(kafkaBrokers: string[]) {
  dir = mkdtempSync(path.join(tmpdir(), 'eventscope-kafka-plugin-'));
  return loadConfig({}, { kafkaBrokers, dataDir: dir, pollIntervalMs: 200, groupsInclude: 'none-of-these-*' });
}

describe('Kafka plugin and background poll', () => {
  it('polls in the background on its interval, is ready after the first snapshot, and stops on close', async () => {
    app = await buildApp({ config: config(brokers) });
    const announced: number[] = [];
    app.live.on('snapshot', ({ at }) => announced.push(at));
    await app.ready();
    const first = await waitFor('a first snapshot', () => app?.kafkaMonitor.snapshot?.time);
    await waitFor('a later snapshot', () => ((app?.kafkaMonitor.snapshot?.time ?? 0) > first ? true : undefined));
    const ready = await app.inject('/readyz');
    expect(ready.json()).toMatchObject({ checks: { kafka: 'ok', 'kafka-poll': 'ok' } });
    // Each finished poll is announced to live views (GET /api/stream).
    expect(announced).toContain(first);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toContain('eventscope_kafka_poll_success{cluster="default"} 1');
    expect(metrics).toMatch(/eventscope_kafka_poll_duration_seconds_count\{cluster="default"\} ([2-9]|\d\d+)/);
    const monitor = app.kafkaMonitor;
    await app.close();
    app = undefined;
    const after = monitor.snapshot?.time;
    // No cycle runs after close (the timer is cleared, the client closed).
    await expect(monitor.pollOnce()).resolves.toMatchObject({ ok: false });
    expect(monitor.snapshot?.time).toBe(after);
  });

  it('keeps serving while the broker is unreachable: errors counted, not ready, no snapshot', async () => {
    app = await buildApp({ config: config(['127.0.0.1:1']), background: false });
    const result = await app.kafkaMonitor.pollOnce();
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual({ list_topics: 1 });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json<{ checks: Record<string, string> }>().checks.kafka).toContain('not connected');
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toContain('eventscope_kafka_poll_success{cluster="default"} 0');
    expect(metrics).toContain('eventscope_kafka_poll_errors_total{cluster="default",stage="list_topics"} 1');
    const groups = await app.inject('/api/groups');
    expect(groups.json()).toEqual({ cluster: 'default', snapshotTime: null, groups: [], missingGroupTypes: [] });
    expect((await app.inject('/api/groups/anything')).statusCode).toBe(404);
  });
});
