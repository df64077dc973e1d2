/** Prometheus collectors of the DLQ capability, filled from the service's state at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DlqService } from './service.ts';

export function registerDlqMetrics(registry: Registry, service: DlqService): void {
  new Gauge({
    name: 'eventscope_dlq_depth_records',
    help: 'Records retained in the dead-letter topic (sum over partitions of end - start offset).',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list()) this.set({ topic: d.topic }, d.depth);
    },
  });
  new Counter({
    name: 'eventscope_dlq_records_added_total',
    help: 'Records added to the dead-letter topic since the collector started watching it (end offset advance).',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list()) this.inc({ topic: d.topic }, d.addedTotal);
    },
  });
  new Gauge({
    name: 'eventscope_dlq_growth_records_per_second',
    help: 'Records per second added to the dead-letter topic over the status window.',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list()) if (d.growthPerSecond !== null) this.set({ topic: d.topic }, d.growthPerSecond);
    },
  });
  new Gauge({
    name: 'eventscope_dlq_records_since_mark',
    help: 'Records added to the dead-letter topic since its mark (POST /api/dlqs/:topic/mark); absent without a mark.',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of service.list()) if (d.addedSinceMark !== null) this.set({ topic: d.topic }, d.addedSinceMark);
    },
  });
}
