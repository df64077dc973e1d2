/** Prometheus collectors of DLQ triage, filled from the triage state at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DlqTriage } from './service.ts';

export function registerTriageMetrics(registry: Registry, triage: DlqTriage): void {
  new Gauge({
    name: 'eventscope_dlq_causes',
    help: 'Distinct failure causes (error class and message fingerprint) among the records read from the DLQ topic.',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of triage.dlqs()) this.set({ topic: d.dlq }, d.causes);
    },
  });
  new Counter({
    name: 'eventscope_dlq_cause_records_total',
    help: 'Records of the DLQ topic read with this cause since the collector started.',
    labelNames: ['topic', 'fingerprint', 'error_class'],
    registers: [registry],
    collect() {
      this.reset();
      for (const e of triage.entries()) {
        this.inc({ topic: e.dlq, fingerprint: e.cause.fingerprint, error_class: e.cause.errorClass }, e.count);
      }
    },
  });
  new Gauge({
    name: 'eventscope_dlq_cause_first_seen_timestamp_seconds',
    help: 'Timestamp of the earliest record of this cause in the DLQ topic (a future record timestamp counts as when it was read).',
    labelNames: ['topic', 'fingerprint', 'error_class'],
    registers: [registry],
    collect() {
      this.reset();
      for (const e of triage.entries()) {
        this.set(
          { topic: e.dlq, fingerprint: e.cause.fingerprint, error_class: e.cause.errorClass },
          e.firstSeenMs / 1000,
        );
      }
    },
  });
  new Counter({
    name: 'eventscope_dlq_cause_records_untracked_total',
    help: 'Records of the DLQ topic not grouped by cause: the cap of distinct causes (dlqCausesMax) was reached.',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of triage.dlqs()) this.inc({ topic: d.dlq }, d.untracked);
    },
  });
}
