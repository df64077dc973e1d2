/** Every metric of the Kafka monitor is documented in docs/metrics.md (the reference users alert on). */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { buildTestApp, removeDir } from './kafka-helpers.ts';

it('documents every Kafka monitor and DLQ metric (per-partition ones included)', async () => {
  const t = await buildTestApp({ perPartitionMetrics: true });
  try {
    const names = (await t.app.metrics.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => /^eventscope_(consumergroup|topic|dlq|kafka)_/.test(n));
    expect(names.length).toBeGreaterThanOrEqual(20);
    const doc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8');
    const undocumented = names.filter((n) => !doc.includes(`\`${n}\``));
    expect(undocumented).toEqual([]);
  } finally {
    await t.close();
    removeDir(t.dataDir);
  }
});
