/**
 * Prometheus collectors of the Kafka monitor, registered on the app's own registry. Gauges
 * are filled from the last snapshot at scrape time (a scrape never calls Kafka); poll
 * duration and errors are observed when a cycle ends.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { KafkaMonitor } from './monitor.ts';
import { STATUS_CODES } from './status.ts';
import type { GroupLag, GroupTopicLag, PartitionLag, RetentionRisk, Snapshot, TopicSnapshot } from './types.ts';

const RETENTION_RISK_CODES: Readonly<Record<RetentionRisk, number>> = { none: 0, 'at-risk': 1, lost: 2 };

type Labels = Record<string, string>;
/** The series of one gauge in a snapshot: labels and value; a null value is no series. */
type Rows = (snapshot: Snapshot) => Iterable<readonly [Labels, number | null]>;

interface SnapshotGauge {
  name: string;
  help: string;
  labelNames: readonly string[];
  rows: Rows;
}

/** Per group and topic; `skipErrored`: a group whose offsets could not be read has no series. */
const perGroupTopic = (
  value: (t: GroupTopicLag) => number | null,
  skipErrored: boolean,
): Pick<SnapshotGauge, 'labelNames' | 'rows'> => ({
  labelNames: ['group', 'group_type', 'topic'],
  *rows(s) {
    for (const g of s.groups.values()) {
      if (skipErrored && g.error) continue;
      for (const t of g.topics) yield [{ group: g.group, group_type: g.groupType, topic: t.topic }, value(t)];
    }
  },
});

const perGroup = (
  value: (g: GroupLag) => number | null,
  skipErrored: boolean,
): Pick<SnapshotGauge, 'labelNames' | 'rows'> => ({
  labelNames: ['group', 'group_type'],
  *rows(s) {
    for (const g of s.groups.values())
      if (!(skipErrored && g.error)) yield [{ group: g.group, group_type: g.groupType }, value(g)];
  },
});

/** Per topic; `skipErrored`: a topic whose offsets could not be read has no series. */
const perTopic = (
  value: (t: TopicSnapshot) => number | null,
  skipErrored: boolean,
): Pick<SnapshotGauge, 'labelNames' | 'rows'> => ({
  labelNames: ['topic'],
  *rows(s) {
    for (const t of s.topics.values()) if (!(skipErrored && t.error)) yield [{ topic: t.topic }, value(t)];
  },
});

const perPartition = (value: (p: PartitionLag) => number | null): Pick<SnapshotGauge, 'labelNames' | 'rows'> => ({
  labelNames: ['group', 'group_type', 'topic', 'partition'],
  *rows(s) {
    for (const g of s.groups.values()) {
      for (const p of g.partitions) {
        yield [{ group: g.group, group_type: g.groupType, topic: p.topic, partition: String(p.partition) }, value(p)];
      }
    }
  },
});

/** Gauges filled from the last snapshot at scrape time, one series per row. */
const SNAPSHOT_GAUGES: readonly SnapshotGauge[] = [
  {
    name: 'eventscope_consumergroup_lag_messages',
    help: 'Records the group has not consumed yet on the topic (sum over partitions of end offset - committed offset).',
    ...perGroupTopic((t) => t.lag, true),
  },
  {
    name: 'eventscope_consumergroup_lag_seconds',
    help: 'Age of the oldest record the group has not consumed on the topic (max over partitions); 0 when caught up.',
    ...perGroupTopic((t) => t.lagSeconds, true),
  },
  {
    name: 'eventscope_consumergroup_lag_seconds_lower_bound',
    help: '1 when eventscope_consumergroup_lag_seconds is only a lower bound (the record is older than the offset/time table reaches), else 0.',
    ...perGroupTopic((t) => (t.lagSecondsIsLowerBound ? 1 : 0), true),
  },
  {
    name: 'eventscope_consumergroup_status',
    help: 'Group status code (worst partition): 0 OK, 1 WARN, 2 REWIND, 3 STALL, 4 STOP, 5 ERR.',
    ...perGroup((g) => STATUS_CODES[g.status], false),
  },
  {
    name: 'eventscope_consumergroup_members',
    help: 'Members of the group (0 for a group with no active consumer).',
    ...perGroup((g) => g.members.length, false),
  },
  {
    name: 'eventscope_consumergroup_consumed_records_per_second',
    help: 'Records per second the group consumed on the topic (committed offset advance over the status window).',
    ...perGroupTopic((t) => t.consumeRate, false),
  },
  {
    name: 'eventscope_consumergroup_records_lost_to_retention',
    help: 'Records retention deleted before the group read them (log start offset - committed offset, summed over partitions committed below the log start).',
    ...perGroupTopic((t) => t.recordsLostToRetention, true),
  },
  {
    name: 'eventscope_consumergroup_retention_margin_messages',
    help: 'Of the lagging partitions, the fewest records between the log start and the committed offset: what retention deletes before it deletes unread records. Absent when no partition lags.',
    ...perGroupTopic((t) => t.retentionMarginMessages, true),
  },
  {
    name: 'eventscope_consumergroup_retention_risk',
    help: 'Data-loss risk from retention: 0 none, 1 at risk (a lagging partition committed within the oldest tenth of its retained log), 2 lost (committed below the log start).',
    ...perGroup((g) => RETENTION_RISK_CODES[g.retentionRisk], true),
  },
  {
    name: 'eventscope_consumergroup_time_to_catch_up_seconds',
    help: 'Lag / (consume rate - produce rate): seconds until the group is caught up at current rates. Absent when it is not catching up.',
    ...perGroup((g) => g.timeToCatchUpSeconds, false),
  },
  {
    name: 'eventscope_topic_records_in_per_second',
    help: 'Records per second produced to the topic (end offset advance over the status window).',
    ...perTopic((t) => t.recordsInPerSecond, false),
  },
  {
    name: 'eventscope_topic_end_offset_sum',
    help: "Sum of the topic's partition end offsets: records ever produced (use rate() for throughput).",
    ...perTopic((t) => t.endOffsetSum, true),
  },
  {
    name: 'eventscope_topic_records_retained',
    help: 'Records the topic retains (sum over partitions of end - start offset).',
    ...perTopic((t) => t.records, true),
  },
];

/** Per-partition gauges, only with EVENTSCOPE_PER_PARTITION_METRICS (a series per partition and group). */
const PARTITION_GAUGES: readonly SnapshotGauge[] = [
  {
    name: 'eventscope_consumergroup_partition_lag_messages',
    help: 'Per-partition lag in messages (EVENTSCOPE_PER_PARTITION_METRICS).',
    ...perPartition((p) => p.lag),
  },
  {
    name: 'eventscope_consumergroup_partition_lag_seconds',
    help: 'Per-partition lag in seconds (EVENTSCOPE_PER_PARTITION_METRICS).',
    ...perPartition((p) => p.lagSeconds),
  },
  {
    name: 'eventscope_consumergroup_partition_status',
    help: 'Per-partition status code, as eventscope_consumergroup_status (EVENTSCOPE_PER_PARTITION_METRICS).',
    ...perPartition((p) => STATUS_CODES[p.status]),
  },
];

/** A cluster's lag service, as the metrics see it. */
interface ClusterMonitor {
  name: string;
  monitor: KafkaMonitor;
}

/** Every series carries `cluster` (the cluster's name from the config), the primary's too. */
export function registerLagMetrics(
  registry: Registry,
  clusters: ReadonlyMap<string, ClusterMonitor>,
  options: { perPartition: boolean },
): void {
  for (const gauge of [...SNAPSHOT_GAUGES, ...(options.perPartition ? PARTITION_GAUGES : [])]) {
    new Gauge({
      name: gauge.name,
      help: gauge.help,
      labelNames: ['cluster', ...gauge.labelNames],
      registers: [registry],
      collect() {
        this.reset();
        for (const { name, monitor } of clusters.values()) {
          const s = monitor.snapshot;
          if (!s) continue;
          for (const [labels, value] of gauge.rows(s))
            if (value !== null) this.set({ cluster: name, ...labels }, value);
        }
      },
    });
  }
  // The same for every cluster (one config key): no cluster label, so rules compare against it with on().
  const budget = clusters.values().next().value?.monitor.lagBudgetSeconds ?? null;
  if (budget !== null) {
    new Gauge({
      name: 'eventscope_consumergroup_lag_budget_seconds',
      help: 'The configured time lag budget (lagBudgetSeconds): a group further behind is WARN, and EventscopeConsumerLagHigh compares against it.',
      registers: [registry],
    }).set(budget);
  }
  new Counter({
    name: 'eventscope_consumergroup_rebalances_total',
    help: 'Rebalances the collector observed since it started (group state or member set changes).',
    labelNames: ['cluster', 'group', 'group_type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { name, monitor } of clusters.values()) {
        for (const g of monitor.snapshot?.groups.values() ?? [])
          this.inc({ cluster: name, group: g.group, group_type: g.groupType }, monitor.rebalanceCount(g.group));
      }
    },
  });

  // The collector's own health, per cluster.
  const duration = new Histogram({
    name: 'eventscope_kafka_poll_duration_seconds',
    help: 'Duration of one Kafka poll cycle (admin round, record reads, DLQ tails).',
    labelNames: ['cluster'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'eventscope_kafka_poll_errors_total',
    help: 'Failures in Kafka poll cycles by stage (list_topics, list_groups, describe_groups, group_offsets, topic_offsets, record_reads, dlq_tail, deadline); a failed group or topic is skipped, not fatal; a cycle past its deadline (pollDeadlineMs) is abandoned and keeps the previous snapshot.',
    labelNames: ['cluster', 'stage'],
    registers: [registry],
  });
  const reads = new Counter({
    name: 'eventscope_kafka_record_reads_total',
    help: 'Time-lag lookups of the record at a committed offset, by result: read (fetched), cached, skipped (over the per-cycle cap), missed (not returned); skipped and missed fall back to interpolation.',
    labelNames: ['cluster', 'result'],
    registers: [registry],
  });
  const success = new Gauge({
    name: 'eventscope_kafka_poll_success',
    help: '1 when the last poll cycle produced a snapshot, 0 when it failed (broker unreachable, listing failed).',
    labelNames: ['cluster'],
    registers: [registry],
  });
  new Gauge({
    name: 'eventscope_kafka_poll_last_success_timestamp_seconds',
    help: 'When the last successful poll cycle took its snapshot (Unix time, seconds).',
    labelNames: ['cluster'],
    registers: [registry],
    collect() {
      for (const { name, monitor } of clusters.values()) {
        const t = monitor.lastSuccessTime;
        if (t !== undefined) this.set({ cluster: name }, t / 1000);
      }
    },
  });
  new Gauge({
    name: 'eventscope_kafka_monitored_groups',
    help: 'Consumer groups in the last snapshot (after groupsInclude/groupsExclude).',
    labelNames: ['cluster'],
    registers: [registry],
    collect() {
      for (const { name, monitor } of clusters.values())
        this.set({ cluster: name }, monitor.snapshot?.groups.size ?? 0);
    },
  });
  for (const { name: cluster, monitor } of clusters.values()) {
    for (const stage of [
      'list_topics',
      'list_groups',
      'describe_groups',
      'group_offsets',
      'topic_offsets',
      'deadline',
    ]) {
      errors.inc({ cluster, stage }, 0);
    }
    success.set({ cluster }, 0);
    monitor.onCycle((result) => {
      duration.observe({ cluster }, result.durationMs / 1000);
      success.set({ cluster }, result.ok ? 1 : 0);
      for (const [stage, n] of Object.entries(result.errors)) errors.inc({ cluster, stage }, n);
      for (const [result_, n] of Object.entries(result.recordReads))
        if (n > 0) reads.inc({ cluster, result: result_ }, n);
    });
  }
}
