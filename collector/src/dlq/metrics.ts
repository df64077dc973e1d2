/**
 * Prometheus collectors of the DLQ capability, filled from the service's state at scrape time;
 * every series carries the `cluster` of the DLQs.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DlqService } from './service.ts';

/** `cluster`: the primary cluster's name (DLQs are watched there). */
export function registerDlqMetrics(registry: Registry, service: DlqService, cluster: string): void {
  new Gauge({
    name: 'eventscope_dlq_depth_records',
    help: 'Records retained in the dead-letter topic (sum over partitions of end - start offset).',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list()) this.set({ cluster, topic: d.topic }, d.depth);
    },
  });
  new Counter({
    name: 'eventscope_dlq_records_added_total',
    help: 'Records added to the dead-letter topic since the collector started watching it (end offset advance).',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list()) this.inc({ cluster, topic: d.topic }, d.addedTotal);
    },
  });
  new Gauge({
    name: 'eventscope_dlq_growth_records_per_second',
    help: 'Records per second added to the dead-letter topic over the status window.',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list())
        if (d.growthPerSecond !== null) this.set({ cluster, topic: d.topic }, d.growthPerSecond);
    },
  });
  new Gauge({
    name: 'eventscope_dlq_records_since_mark',
    help: 'Records added to the dead-letter topic since its mark (POST /api/dlqs/:topic/mark); absent without a mark.',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list())
        if (d.addedSinceMark !== null) this.set({ cluster, topic: d.topic }, d.addedSinceMark);
    },
  });
}
