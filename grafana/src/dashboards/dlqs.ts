/** eventscope / Dead-letter queues: depth, arrivals and growth of every DLQ topic. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  baseDashboard,
  CLUSTER,
  clusterVariable,
  instantQuery,
  labelVariable,
  query,
  statPanel,
  steps,
  tablePanel,
  timeseriesPanel,
} from '../common.ts';

const T = `${CLUSTER},topic=~"$dlq"`;

export function dlqs(): dashboard.Dashboard {
  return baseDashboard(
    'eventscope-dlqs',
    'eventscope / Dead-letter queues',
    'What sits in each dead-letter topic, how fast it grows, and since when. Error reasons: the eventscope dashboard (DLQs page).',
  )
    .withVariable(clusterVariable())
    .withVariable(labelVariable('dlq', 'DLQ topic', `label_values(eventscope_dlq_depth_records{${CLUSTER}}, topic)`))
    .withRow(new RowBuilder('Now'))
    .withPanel(
      statPanel(
        'Records in DLQs',
        'Records retained in the selected dead-letter topics.',
        'short',
        query(`sum(eventscope_dlq_depth_records{${T}})`),
        steps('green', [1, 'yellow']),
        6,
      ),
    )
    .withPanel(
      statPanel(
        'Added in range',
        'Records dead-lettered during the selected time range.',
        'short',
        query(`sum(increase(eventscope_dlq_records_added_total{${T}}[$__range]))`),
        steps('green', [1, 'yellow'], [100, 'red']),
        6,
      ),
    )
    .withPanel(
      statPanel(
        'Growth now',
        'Records added per second over the last 5 minutes (alert: above 1/s for 5m).',
        'ops',
        query(`sum(eventscope:dlq_records_added:rate5m{${T}})`),
        steps('green', [0.01, 'yellow'], [1, 'red']),
        6,
      ),
    )
    .withPanel(
      statPanel(
        'Since mark',
        'Records added since the mark set in eventscope (POST /api/dlqs/:topic/mark); empty without a mark.',
        'short',
        query(`sum(eventscope_dlq_records_since_mark{${T}})`),
        steps('green', [1, 'yellow']),
        6,
      ),
    )
    .withPanel(
      tablePanel('DLQ topics', 'Depth, growth and records since the mark per dead-letter topic.', [
        instantQuery(`eventscope_dlq_depth_records{${T}}`, '', 'A'),
        instantQuery(`eventscope_dlq_growth_records_per_second{${T}}`, '', 'B'),
        instantQuery(`eventscope_dlq_records_since_mark{${T}}`, '', 'C'),
      ]).withTransformation({ id: 'merge', options: {} }),
    )
    .withRow(new RowBuilder('Over time'))
    .withPanel(
      timeseriesPanel('Depth', 'Records retained per dead-letter topic.', 'short', [
        query(`eventscope_dlq_depth_records{${T}}`, '{{topic}} ({{cluster}})'),
      ]),
    )
    .withPanel(
      timeseriesPanel('Added per second', 'Records dead-lettered per second.', 'ops', [
        query(
          `sum by (cluster, topic) (rate(eventscope_dlq_records_added_total{${T}}[$__rate_interval]))`,
          '{{topic}} ({{cluster}})',
        ),
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Growth rate (collector)',
        "The collector's own growth figure over its status window.",
        'ops',
        [query(`eventscope_dlq_growth_records_per_second{${T}}`, '{{topic}} ({{cluster}})')],
        { w: 24, h: 8 },
      ),
    )
    .build();
}
