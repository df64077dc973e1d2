/** eventscope / Overview: is anything behind, failing, dead-lettered or lost, at a glance. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  baseDashboard,
  CLUSTER,
  clusterVariable,
  groupDrillDown,
  labelVariable,
  query,
  STATUS_MAPPING,
  statPanel,
  steps,
  tablePanel,
  timeseriesPanel,
  instantQuery,
  valueMapping,
} from '../common.ts';

/** Kafka series: this collector job and the clusters picked. */
const K = `job=~"$job",${CLUSTER}`;

export function overview(): dashboard.Dashboard {
  return baseDashboard(
    'eventscope-overview',
    'eventscope / Overview',
    'Consumer lag, group status, DLQs, sagas and the collector itself, at a glance.',
  )
    .withVariable(labelVariable('job', 'Collector job', 'label_values(eventscope_kafka_poll_success, job)'))
    .withVariable(clusterVariable())
    .withRow(new RowBuilder('Health'))
    .withPanel(
      statPanel(
        'Collector up',
        'Prometheus can scrape the eventscope collector (up).',
        'short',
        query('min(up{job=~"$job"})'),
        steps('red', [1, 'green']),
      ).mappings([
        valueMapping([
          ['0', 'DOWN'],
          ['1', 'UP'],
        ]),
      ]),
    )
    .withPanel(
      statPanel(
        'Kafka poll',
        'The last Kafka poll cycle of every collector produced a snapshot, for every cluster picked (eventscope_kafka_poll_success).',
        'short',
        query(`min(eventscope_kafka_poll_success{${K}})`),
        steps('red', [1, 'green']),
      ).mappings([
        valueMapping([
          ['0', 'FAILING'],
          ['1', 'OK'],
        ]),
      ]),
    )
    .withPanel(
      statPanel(
        'Groups monitored',
        'Consumer groups in the last snapshot.',
        'short',
        query(`sum(eventscope_kafka_monitored_groups{${K}})`),
        steps('green'),
      ),
    )
    .withPanel(
      statPanel(
        'Groups not OK',
        'Groups whose status is WARN, REWIND, STALL, STOP or ERR.',
        'short',
        query(`count(eventscope_consumergroup_status{${K}} > 0) or vector(0)`),
        steps('green', [1, 'orange']),
      ),
    )
    .withPanel(
      statPanel(
        'Worst lag',
        'The oldest unconsumed record over all groups and topics.',
        's',
        query(`max(eventscope_consumergroup_lag_seconds{${K}}) or vector(0)`),
        steps('green', [60, 'yellow'], [300, 'red']),
      ),
    )
    .withPanel(
      statPanel(
        'Firing alerts',
        'eventscope alerts firing in this Prometheus.',
        'short',
        query('count(ALERTS{alertname=~"Eventscope.*",alertstate="firing"}) or vector(0)'),
        steps('green', [1, 'red']),
      ),
    )
    .withRow(new RowBuilder('Consumer groups'))
    .withPanel(
      timeseriesPanel('Lag by group (seconds)', 'Worst lag in seconds over the topics of each group.', 's', [
        query(`eventscope:consumergroup_lag_seconds:max{${CLUSTER}}`, '{{group}} ({{cluster}})'),
      ]).dataLinks([groupDrillDown()]),
    )
    .withPanel(
      timeseriesPanel('Lag by group (messages)', 'Records each group has not consumed yet.', 'short', [
        query(`eventscope:consumergroup_lag_messages:sum{${CLUSTER}}`, '{{group}} ({{cluster}})'),
      ]).dataLinks([groupDrillDown()]),
    )
    .withPanel(
      tablePanel(
        'Group status',
        'Worst partition status per group (Burrow-style rules).',
        [
          instantQuery(`eventscope_consumergroup_status{${K}}`, '', 'A'),
          instantQuery(`eventscope_consumergroup_members{${K}}`, '', 'B'),
        ],
        { w: 12, h: 8 },
      )
        .mappings([STATUS_MAPPING])
        .dataLinks([groupDrillDown()]),
    )
    .withPanel(
      timeseriesPanel('Produced records per second by topic', 'Throughput into each topic.', 'ops', [
        query(`sum by (cluster, topic) (eventscope_topic_records_in_per_second{${K}})`, '{{topic}} ({{cluster}})'),
      ]),
    )
    .withRow(new RowBuilder('DLQs and sagas'))
    .withPanel(
      timeseriesPanel('Dead-lettered records per second', 'Records added to each dead-letter topic.', 'ops', [
        query(`eventscope:dlq_records_added:rate5m{${CLUSTER}}`, '{{topic}} ({{cluster}})'),
      ]),
    )
    .withPanel(
      timeseriesPanel('Sagas ended per second by outcome', 'Completed, compensated and failed sagas.', 'ops', [
        query('sum by (outcome) (rate(eventscope_saga_outcomes_total{job=~"$job"}[$__rate_interval]))', '{{outcome}}'),
      ]),
    )
    .withPanel(
      timeseriesPanel('Saga end-to-end latency p99', 'First publish to terminal event processed.', 's', [
        query(
          'histogram_quantile(0.99, sum by (saga_type, le) (rate(eventscope_saga_end_to_end_seconds_bucket{job=~"$job"}[$__rate_interval])))',
          '{{saga_type}}',
        ),
      ]),
    )
    .withPanel(
      timeseriesPanel('Spans received per second', 'OTLP spans accepted and refused by the collector.', 'ops', [
        query('sum(rate(eventscope_spans_accepted_total{job=~"$job"}[$__rate_interval]))', 'accepted', 'A'),
        query(
          'sum by (reason) (rate(eventscope_spans_rejected_total{job=~"$job"}[$__rate_interval]))',
          'rejected {{reason}}',
          'B',
        ),
      ]),
    )
    .withRow(new RowBuilder('Collector'))
    .withPanel(
      timeseriesPanel(
        'Kafka poll duration',
        'p50 and p99 of one poll cycle (admin round, record reads, DLQ tails); keep it under the poll interval.',
        's',
        [
          query(
            `histogram_quantile(0.5, sum by (cluster, le) (rate(eventscope_kafka_poll_duration_seconds_bucket{${K}}[$__rate_interval])))`,
            'p50 {{cluster}}',
            'A',
          ),
          query(
            `histogram_quantile(0.99, sum by (cluster, le) (rate(eventscope_kafka_poll_duration_seconds_bucket{${K}}[$__rate_interval])))`,
            'p99 {{cluster}}',
            'B',
          ),
        ],
        { w: 8, h: 8 },
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Kafka poll errors',
        'Failed stages per interval; a failed group or topic is skipped, a failed listing fails the cycle.',
        'short',
        [
          query(
            `sum by (cluster, stage) (increase(eventscope_kafka_poll_errors_total{${K}}[$__rate_interval]))`,
            '{{stage}} ({{cluster}})',
          ),
        ],
        { w: 8, h: 8 },
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Store and intake queue',
        'Bytes of the embedded store in use, and spans waiting to be stored.',
        'bytes',
        [
          query('sum by (instance) (eventscope_store_size_bytes{job=~"$job"})', 'store {{instance}}', 'A'),
          query('sum by (instance) (eventscope_intake_queue_spans{job=~"$job"})', 'queued spans {{instance}}', 'B'),
        ],
        { w: 8, h: 8 },
      ).overrideByQuery('B', [{ id: 'unit', value: 'short' }]),
    )
    .build();
}
