/**
 * A redrive survives `kill -9` of the collector: the collector runs as a child process, dies
 * mid-redrive, starts again on the same data dir and resumes; every selected record is on the
 * target exactly once (event ids counted). Rows the crash left in doubt (`sending`) are resolved
 * by reading the target back: here some are made so on purpose, both ones whose record was
 * written (must not be sent again) and ones whose record was not (must be sent).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DLQ_REDRIVE_HEADER } from '@eventscope/contract';
import { afterAll, describe, expect, it } from 'vitest';
import type { Redrive } from '../src/api-types.ts';
import { spawnCollector, type CollectorProcess } from './collector-process.ts';
import { connectAdmin, connectProducer, createTopicsLed, removeDir, uniqueName, waitFor } from './kafka-helpers.ts';
import { tempDir } from './harness.ts';
import { headerText, readAllRecords } from './redrive-helpers.ts';

const N = 120;
const base = uniqueName('redrivekill');
const dlq = `${base}-svc.dlq`;
const original = `${base}-orders`;
const dataDir = tempDir('redrive-kill');
const env = { EVENTSCOPE_DLQ_PATTERN: 'redrivekill-*.dlq', EVENTSCOPE_GROUPS_INCLUDE: 'redrivekill-none-*' };
const procs: CollectorProcess[] = [];

afterAll(async () => {
  for (const p of procs) await p.stop(true);
  removeDir(dataDir);
  const admin = await connectAdmin();
  await admin.deleteTopics({ topics: [dlq, original] }).catch(() => undefined);
  await admin.disconnect();
});

const redriveOf = async (p: CollectorProcess, id: string): Promise<Redrive> =>
  ((await (await fetch(`${p.url}/api/redrives/${id}`)).json()) as { redrive: Redrive }).redrive;

describe('redrive across kill -9 (collector as a child process)', () => {
  it('resumes after a restart and sends every selected record exactly once', async () => {
    const admin = await connectAdmin();
    await createTopicsLed(admin, {
      topics: [
        { topic: dlq, numPartitions: 2 },
        { topic: original, numPartitions: 2 },
      ],
    });
    await admin.disconnect();
    const producer = await connectProducer();
    await producer.send({
      topic: dlq,
      messages: Array.from({ length: N }, (_, i) => ({
        partition: i % 2,
        key: `k-${i}`,
        value: `v-${i}`,
        headers: { 'event-id': `evt-${i}`, 'dlq-original-topic': original, 'dlq-consumer-group': `${base}-svc` },
      })),
    });
    await producer.disconnect();

    const first = await spawnCollector(env, dataDir);
    procs.push(first);
    const res = await fetch(`${first.url}/api/dlqs/${dlq}/redrives`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ select: { kind: 'all' }, target: { kind: 'original' }, ratePerSecond: 40 }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const { redrive } = (await res.json()) as { redrive: Redrive };
    await waitFor('a third of the records sent', async () =>
      (await redriveOf(first, redrive.id)).sent >= N / 3 ? true : undefined,
    );
    await first.kill9();

    // The crash, made worse: some sent rows back in doubt (their records are on the target) and
    // some pending ones in doubt too (their records are not): the read-back must tell them apart.
    const db = new Database(join(dataDir, 'redrive.sqlite'));
    const sentBefore = db
      .prepare<[string], { n: number }>(
        `SELECT count(*) AS n FROM redrive_ledger WHERE redrive_id = ? AND state = 'sent'`,
      )
      .get(redrive.id)?.n;
    expect(sentBefore).toBeGreaterThan(0);
    expect(sentBefore).toBeLessThan(N);
    const doubt = (state: string) =>
      db
        .prepare(
          `UPDATE redrive_ledger SET state = 'sending', at_ms = ? WHERE redrive_id = ? AND (part, off) IN (
             SELECT part, off FROM redrive_ledger WHERE redrive_id = ? AND state = ? ORDER BY off DESC LIMIT 5)`,
        )
        .run(Date.now() - 60_000, redrive.id, redrive.id, state).changes;
    expect(doubt('sent') + doubt('pending')).toBe(10);
    db.close();

    const second = await spawnCollector(env, dataDir);
    procs.push(second);
    const done = await waitFor(
      'the resumed redrive to complete',
      async () => {
        const r = await redriveOf(second, redrive.id);
        return r.status === 'running' ? undefined : r;
      },
      60_000,
    );
    expect(done).toMatchObject({ status: 'completed', selected: N, sent: N, failed: 0 });
    expect(second.output()).toContain('records in doubt read back from their targets');

    // Count event ids on the target with the second collector's view of the topic.
    const seen = new Map<string, number>();
    for (const r of await readAllRecords(original)) {
      if (headerText(r, DLQ_REDRIVE_HEADER.redriveId) !== redrive.id) continue;
      const id = headerText(r, 'event-id') ?? '?';
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect(seen.size).toBe(N);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
