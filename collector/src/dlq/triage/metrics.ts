/** Prometheus collectors of DLQ triage, filled from the triage state at scrape time. */
import { DLQ_HEADER } from '@eventscope/contract';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Masking } from '../../masking/index.ts';
import type { CauseCount, DlqTriage } from './service.ts';

/** Labels of a cause: `error_class` is `***` when `dlq-error-class` is a masked header. */
const causeLabels = (masking: Masking, cluster: string, e: CauseCount) => ({
  cluster,
  topic: e.dlq,
  fingerprint: e.cause.fingerprint,
  error_class: masking.headerText(DLQ_HEADER.errorClass, e.cause.errorClass),
});

/** Every cluster's triage, read at each scrape; `cluster` (its name in the config) labels every series. */
export function registerTriageMetrics(
  registry: Registry,
  clusters: ReadonlyMap<string, { name: string; triage: DlqTriage }>,
  masking: Masking,
): void {
  function* dlqs() {
    for (const { name, triage } of clusters.values()) for (const d of triage.dlqs()) yield { cluster: name, d };
  }
  function* entries() {
    for (const { name, triage } of clusters.values()) for (const e of triage.entries()) yield { cluster: name, e };
  }
  new Gauge({
    name: 'eventscope_dlq_causes',
    help: 'Distinct failure causes (error class and message fingerprint) among the records read from the DLQ topic.',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster, d } of dlqs()) this.set({ cluster, topic: d.dlq }, d.causes);
    },
  });
  new Counter({
    name: 'eventscope_dlq_cause_records_total',
    help: 'Records of the DLQ topic read with this cause since the collector started.',
    labelNames: ['cluster', 'topic', 'fingerprint', 'error_class'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster, e } of entries()) {
        this.inc(causeLabels(masking, cluster, e), e.count);
      }
    },
  });
  new Gauge({
    name: 'eventscope_dlq_cause_first_seen_timestamp_seconds',
    help: 'Timestamp of the earliest record of this cause in the DLQ topic (a future record timestamp counts as when it was read).',
    labelNames: ['cluster', 'topic', 'fingerprint', 'error_class'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster, e } of entries()) {
        this.set(causeLabels(masking, cluster, e), e.firstSeenMs / 1000);
      }
    },
  });
  new Counter({
    name: 'eventscope_dlq_cause_records_untracked_total',
    help: 'Records of the DLQ topic not grouped by cause: the cap of distinct causes (dlqCausesMax) was reached.',
    labelNames: ['cluster', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster, d } of dlqs()) this.inc({ cluster, topic: d.dlq }, d.untracked);
    },
  });
}
