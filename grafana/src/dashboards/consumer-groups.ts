/** eventscope / Consumer groups: drill down into groups and topics (lag, status, rates, rebalances). */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  baseDashboard,
  CLUSTER,
  clusterVariable,
  instantQuery,
  labelVariable,
  query,
  STATUS_MAPPING,
  statPanel,
  steps,
  tablePanel,
  timeseriesPanel,
} from '../common.ts';

const G = `${CLUSTER},group=~"$group"`;
const GT = `${CLUSTER},group=~"$group",topic=~"$topic"`;

export function consumerGroups(): dashboard.Dashboard {
  return baseDashboard(
    'eventscope-consumer-groups',
    'eventscope / Consumer groups',
    'Lag in messages and seconds, status, members, consume vs produce rate and rebalances, per Kafka cluster, group and topic.',
  )
    .withVariable(clusterVariable())
    .withVariable(labelVariable('group', 'Group', `label_values(eventscope_consumergroup_status{${CLUSTER}}, group)`))
    .withVariable(labelVariable('topic', 'Topic', `label_values(eventscope_consumergroup_lag_messages{${G}}, topic)`))
    .withRow(new RowBuilder('Now'))
    .withPanel(
      statPanel(
        'Worst status',
        'Worst status over the selected groups: OK, WARN, REWIND, STALL, STOP, ERR.',
        'none',
        query(`max(eventscope_consumergroup_status{${G}})`),
        steps('green', [1, 'yellow'], [3, 'orange'], [4, 'red']),
      ).mappings([STATUS_MAPPING]),
    )
    .withPanel(
      statPanel(
        'Lag (seconds)',
        'Age of the oldest unconsumed record, worst over the selection.',
        's',
        query(`max(eventscope_consumergroup_lag_seconds{${GT}})`),
        steps('green', [60, 'yellow'], [300, 'red']),
      ),
    )
    .withPanel(
      statPanel(
        'Lag (messages)',
        'Records not consumed yet, summed over the selection.',
        'short',
        query(`sum(eventscope_consumergroup_lag_messages{${GT}})`),
        steps('green'),
      ),
    )
    .withPanel(
      statPanel(
        'Members',
        'Active members of the selected groups (0: nobody consumes).',
        'short',
        query(`sum(eventscope_consumergroup_members{${G}})`),
        steps('red', [1, 'green']),
      ),
    )
    .withPanel(
      statPanel(
        'Time to catch up',
        'At current consume and produce rates; empty when a group is not catching up.',
        's',
        query(`max(eventscope_consumergroup_time_to_catch_up_seconds{${G}})`),
        steps('green', [300, 'yellow'], [1800, 'red']),
      ),
    )
    .withPanel(
      statPanel(
        'Rebalances',
        'Rebalances observed over the time range.',
        'short',
        query(`sum(increase(eventscope_consumergroup_rebalances_total{${G}}[$__range]))`),
        steps('green', [1, 'yellow'], [10, 'red']),
      ),
    )
    .withPanel(
      tablePanel(
        'Groups and topics',
        'Current lag per group and topic; lower bound = 1 when the seconds figure is a lower bound.',
        [
          instantQuery(`eventscope_consumergroup_lag_seconds{${GT}}`, '', 'A'),
          instantQuery(`eventscope_consumergroup_lag_messages{${GT}}`, '', 'B'),
          instantQuery(`eventscope_consumergroup_lag_seconds_lower_bound{${GT}}`, '', 'C'),
          instantQuery(`eventscope_consumergroup_consumed_records_per_second{${GT}}`, '', 'D'),
        ],
      ).withTransformation({ id: 'merge', options: {} }),
    )
    .withRow(new RowBuilder('Lag'))
    .withPanel(
      timeseriesPanel('Lag in seconds', 'Age of the oldest unconsumed record per group and topic.', 's', [
        query(`eventscope_consumergroup_lag_seconds{${GT}}`, '{{group}} / {{topic}} ({{cluster}})'),
      ]),
    )
    .withPanel(
      timeseriesPanel('Lag in messages', 'Records not consumed yet per group and topic.', 'short', [
        query(`eventscope_consumergroup_lag_messages{${GT}}`, '{{group}} / {{topic}} ({{cluster}})'),
      ]),
    )
    .withPanel(
      timeseriesPanel(
        'Consumed vs produced per second',
        'Committed offset advance of each group against the records produced to the topic.',
        'ops',
        [
          query(
            `eventscope_consumergroup_consumed_records_per_second{${GT}}`,
            'consumed {{group}} / {{topic}} ({{cluster}})',
            'A',
          ),
          query(
            `eventscope_topic_records_in_per_second{${CLUSTER},topic=~"$topic"} and on (cluster, topic) eventscope_consumergroup_lag_messages{${GT}}`,
            'produced {{topic}} ({{cluster}})',
            'B',
          ),
        ],
      ),
    )
    .withPanel(
      timeseriesPanel('Status', 'Status code per group over time.', 'none', [
        query(`eventscope_consumergroup_status{${G}}`, '{{group}} ({{cluster}})'),
      ]).mappings([STATUS_MAPPING]),
    )
    .withRow(new RowBuilder('Members and rebalances'))
    .withPanel(
      timeseriesPanel('Members', 'Active members per group.', 'short', [
        query(`eventscope_consumergroup_members{${G}}`, '{{group}} ({{cluster}})'),
      ]),
    )
    .withPanel(
      timeseriesPanel('Rebalances', 'Rebalances per group in each interval.', 'short', [
        query(
          `sum by (cluster, group) (increase(eventscope_consumergroup_rebalances_total{${G}}[$__rate_interval]))`,
          '{{group}} ({{cluster}})',
        ),
      ]),
    )
    .withRow(new RowBuilder('Partitions (EVENTSCOPE_PER_PARTITION_METRICS=true)'))
    .withPanel(
      timeseriesPanel(
        'Lag in seconds per partition',
        'Only when the collector exports per-partition series.',
        's',
        [
          query(
            `eventscope_consumergroup_partition_lag_seconds{${GT}}`,
            '{{group}} / {{topic}} [{{partition}}] ({{cluster}})',
          ),
        ],
        { w: 24, h: 8 },
      ),
    )
    .build();
}
