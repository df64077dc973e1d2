/** eventscope / Sagas and latency: end-to-end latency and its SLO, outcomes, hop queue vs processing time, loss. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard, labelVariable, query, statPanel, steps, timeseriesPanel } from '../common.ts';

const S = 'saga_type=~"$saga_type"';
const GT = 'group=~"$group",topic=~"$topic"';
const ENDED = 'outcome=~"completed|compensated|failed"';

function quantiles(metric: string, selector: string, by: string, legend: string): ReturnType<typeof query>[] {
  return [
    ['0.5', 'p50', 'A'],
    ['0.99', 'p99', 'B'],
  ].map(([q, name, ref]) =>
    query(
      `histogram_quantile(${q}, sum by (${by}, le) (rate(${metric}_bucket{${selector}}[$__rate_interval])))`,
      `${name} ${legend}`,
      ref,
    ),
  );
}

export function sagas(): dashboard.Dashboard {
  return baseDashboard(
    'eventscope-sagas',
    'eventscope / Sagas and latency',
    'End-to-end saga latency against its SLO (99% within 2.5 s), outcomes, and where the time goes: queue time vs processing time per topic and group.',
  )
    .withVariable(labelVariable('saga_type', 'Saga type', 'label_values(eventscope_saga_outcomes_total, saga_type)'))
    .withVariable(labelVariable('group', 'Group', 'label_values(eventscope_hop_processing_seconds_count, group)'))
    .withVariable(
      labelVariable('topic', 'Topic', 'label_values(eventscope_hop_processing_seconds_count{group=~"$group"}, topic)'),
    )
    .withRow(new RowBuilder('Latency SLO: 99% of sagas end to end within 2.5 s'))
    .withPanel(
      statPanel(
        'Slow sagas (1h)',
        'Share of sagas slower than 2.5 s over the last hour (error budget: 1%).',
        'percentunit',
        query(`max(eventscope:saga_latency_slo_errors:ratio_rate1h{${S}})`),
        steps('green', [0.01, 'yellow'], [0.144, 'red']),
        6,
      ),
    )
    .withPanel(
      statPanel(
        'Burn rate (1h)',
        'Slow share / 1%: 1 spends the 30-day budget in 30 days, 14.4 in about 2 days (page).',
        'none',
        query(`max(eventscope:saga_latency_slo_errors:ratio_rate1h{${S}}) / 0.01`),
        steps('green', [1, 'yellow'], [14.4, 'red']),
        6,
      ),
    )
    .withPanel(
      statPanel(
        'Sagas ended (range)',
        'Completed, compensated and failed sagas in the time range.',
        'short',
        query(`sum(increase(eventscope_saga_outcomes_total{${S},${ENDED}}[$__range]))`),
        steps('green'),
        6,
      ),
    )
    .withPanel(
      statPanel(
        'Failed (15m)',
        'Share of the sagas ended in the last 15 minutes that failed (alert above 5%).',
        'percentunit',
        query(`max(eventscope:saga_failures:ratio_rate15m{${S}})`),
        steps('green', [0.01, 'yellow'], [0.05, 'red']),
        6,
      ),
    )
    .withPanel(
      timeseriesPanel(
        'End-to-end latency',
        'First publish to terminal event processed, per saga type.',
        's',
        quantiles('eventscope_saga_end_to_end_seconds', S, 'saga_type', '{{saga_type}}'),
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Slow-saga ratio per window',
        'The windows the multi-window, multi-burn-rate alerts compare (5m, 1h, 6h, 1d).',
        'percentunit',
        ['5m', '1h', '6h', '1d'].map((w, i) =>
          query(
            `eventscope:saga_latency_slo_errors:ratio_rate${w}{${S}}`,
            `${w} {{saga_type}}`,
            String.fromCharCode(65 + i),
          ),
        ),
      ),
    )
    .withRow(new RowBuilder('Outcomes'))
    .withPanel(
      timeseriesPanel(
        'Sagas per second by outcome',
        'completed, compensated, failed; stuck counts sagas that stopped progressing.',
        'ops',
        [
          query(
            `sum by (saga_type, outcome) (rate(eventscope_saga_outcomes_total{${S}}[$__rate_interval]))`,
            '{{saga_type}} {{outcome}}',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel('Stuck sagas (15m)', 'Sagas that became stuck over the last 15 minutes.', 'short', [
        query(`eventscope:sagas_stuck:increase15m{${S}}`, '{{saga_type}}'),
      ]),
    )
    .withRow(new RowBuilder('Hops: queue time vs processing time'))
    .withPanel(
      timeseriesPanel(
        'Queue time',
        'Time records waited in their topic before the group started on them.',
        's',
        quantiles('eventscope_hop_queue_seconds', GT, 'group, topic', '{{group}} / {{topic}}'),
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Processing time',
        'Time the group spent processing a record.',
        's',
        quantiles('eventscope_hop_processing_seconds', GT, 'group, topic', '{{group}} / {{topic}}'),
      ),
    )
    .withRow(new RowBuilder('Loss and duplicates'))
    .withPanel(
      timeseriesPanel(
        'Duplicates',
        'Events processed more than once by one group, per interval.',
        'short',
        [
          query(
            `sum by (group) (increase(eventscope_duplicates_total{group=~"$group"}[$__rate_interval]))`,
            '{{group}}',
          ),
        ],
        { w: 8, h: 8 },
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Skipped records (loss)',
        'Records a group committed past without processing or dead-lettering them, with evidence it did not process them (the loss audit, docs/loss-audit.md). Records whose spans were merely lost are not counted here.',
        'short',
        [
          query(
            `sum by (group, topic) (increase(eventscope_unaccounted_total{${GT}}[$__rate_interval]))`,
            '{{group}} / {{topic}}',
          ),
        ],
        { w: 8, h: 8 },
      ),
    )
    .withPanel(
      timeseriesPanel(
        'Spans',
        'OTLP spans accepted, refused and ignored (not a messaging hop) by the collector.',
        'ops',
        [
          query('sum(rate(eventscope_spans_accepted_total[$__rate_interval]))', 'accepted', 'A'),
          query(
            'sum by (reason) (rate(eventscope_spans_rejected_total[$__rate_interval]))',
            'rejected {{reason}}',
            'B',
          ),
          query('sum(rate(eventscope_spans_ignored_total[$__rate_interval]))', 'ignored', 'C'),
        ],
        { w: 8, h: 8 },
      ),
    )
    .build();
}
