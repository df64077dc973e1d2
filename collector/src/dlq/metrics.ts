/**
 * Prometheus collectors of the DLQ capability, filled from each cluster's DLQ state at scrape
 * time; every series carries the `cluster` of its DLQ.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DlqService } from './service.ts';

/** Every cluster's DLQs (`cluster`: its name in the config), read at each scrape. */
export function registerDlqMetrics(
  registry: Registry,
  clusters: ReadonlyMap<string, { name: string; service: DlqService }>,
): void {
  /** Each DLQ with the labels of its series. */
  const dlqs = function* () {
    for (const { name, service } of clusters.values()) {
      for (const d of service.list()) yield { labels: { cluster: name, topic: d.topic }, d };
    }
  };
  new Gauge({
    name: 'eventscope_dlq_depth_records',
    help: 'Records retained in the dead-letter topic (sum over partitions of end - start offset).',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, d } of dlqs()) this.set(labels, d.depth);
    },
  });
  new Counter({
    name: 'eventscope_dlq_records_added_total',
    help: 'Records added to the dead-letter topic since the collector started watching it (end offset advance).',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, d } of dlqs()) this.inc(labels, d.addedTotal);
    },
  });
  new Gauge({
    name: 'eventscope_dlq_growth_records_per_second',
    help: 'Records per second added to the dead-letter topic over the status window.',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, d } of dlqs()) if (d.growthPerSecond !== null) this.set(labels, d.growthPerSecond);
    },
  });
  new Gauge({
    name: 'eventscope_dlq_records_since_mark',
    help: 'Records added to the dead-letter topic since its mark (POST /api/dlqs/:topic/mark); absent without a mark.',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, d } of dlqs()) if (d.addedSinceMark !== null) this.set(labels, d.addedSinceMark);
    },
  });
}
