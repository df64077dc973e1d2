/**
 * One poll cycle of the lag service, as phases over one cycle state (`Cycle`), in order:
 * 1. `listNames`: what exists (topics, groups that pass the include/exclude globs)
 * 2. `readOffsets`: groups described in batches, committed offsets per group, log offsets per topic
 * 3. `topicPhase` (this file): the offset/time table and throughput per topic
 * 4. `groupPhase` (cycle-groups.ts): per partition lag, status window, status, owner; rebalances
 * 5. `timeLagPhase` (cycle-time-lag.ts): the age of the oldest unconsumed record
 * 6. `rollUpPhase` (rollup.ts): per topic and group figures, history
 * then monitor.ts publishes the snapshot and runs the extra cycle steps (DLQ tails).
 * What lives across cycles (windows, tables, rebalance history) is the monitor's `Memory`.
 */
import type { Config } from '../config.ts';
import { dict, ownGet } from '../lib/safe-map.ts';
import { chunks, mapLimit, type GroupInfo, type KafkaAdapter, type PartitionOffsets } from '../kafka/index.ts';
import type { OffsetTimeTable } from './offset-times.ts';
import type { PartitionLagRow } from './partition-lag.ts';
import type { GroupObservation } from './rebalance.ts';
import type { LagHistory } from './rollup.ts';
import type { SampleWindow } from './status.ts';
import type { GroupLag, RebalanceEvent, Snapshot, TopicSnapshot } from './types.ts';

export interface MonitorOptions {
  pollIntervalMs: number;
  pollConcurrency: number;
  groupsInclude: string;
  groupsExclude: string;
  lagTolerance: number;
  /** Time lag (s) over which a partition is at least WARN, whatever the trend; none when unset. */
  lagBudgetSeconds?: number;
  statusWindow: number;
  dataDir: string;
  /** Direct record reads for time lag per cycle (the rest falls back to interpolation). */
  maxRecordReadsPerCycle?: number;
  /** Bytes asked per partition in a record read. */
  recordReadMaxBytes?: number;
  /** Groups per DescribeGroups request. */
  describeBatchSize?: number;
  /** Lag history points kept per group (and topic) for charts. */
  historyPoints?: number;
  /** Rebalance events kept per group. */
  rebalanceHistory?: number;
  /** Persist the offset/time table at most this often, ms. */
  persistEveryMs?: number;
  /**
   * A cycle still running after this long is abandoned: counted as a `deadline` poll error,
   * the previous snapshot stays, and the next cycle starts on schedule (default: the config's).
   */
  pollDeadlineMs?: number;
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra?: Record<string, unknown>) => void;
}

/** A monitor's options from the collector's config (its keys written once), its table kept in `dataDir`. */
export function monitorOptions(c: Config, dataDir: string): MonitorOptions {
  return {
    pollIntervalMs: c.pollIntervalMs,
    pollConcurrency: c.pollConcurrency,
    groupsInclude: c.groupsInclude,
    groupsExclude: c.groupsExclude,
    lagTolerance: c.lagTolerance,
    lagBudgetSeconds: c.lagBudgetSeconds,
    statusWindow: c.statusWindow,
    dataDir,
    maxRecordReadsPerCycle: c.recordReadsPerCycle,
    pollDeadlineMs: c.pollDeadlineMs,
  };
}

/** The options with the monitor's own defaults applied. */
export type ResolvedOptions = Required<Omit<MonitorOptions, 'log' | 'lagBudgetSeconds'>> &
  Pick<MonitorOptions, 'log' | 'lagBudgetSeconds'>;

export interface PollOptions {
  /** Read record timestamps for lagging partitions (default true); false uses only the table. */
  recordReads?: boolean;
}

/** topic -> partition -> record offset -> value (a record's timestamp, or an index). */
export type RecordTimes = Map<string, Map<number, Map<number, number>>>;

/** What the monitor keeps from one cycle to the next. */
export interface Memory {
  readonly kafka: KafkaAdapter;
  readonly o: ResolvedOptions;
  readonly include: RegExp;
  readonly exclude: RegExp;
  readonly table: OffsetTimeTable;
  /** The last successful snapshot. */
  snapshot: Snapshot | undefined;
  /** The cycle that made `snapshot`, while its rows read from the status windows (see WINDOW_SLACK). */
  snapshotCycle: number | undefined;
  cycleCount: number;
  /** Status windows: group -> topic -> partition -> window. */
  readonly windows: Map<string, Map<string, (SampleWindow | undefined)[]>>;
  /** End offset sums per topic over the status window, for throughput. */
  readonly topicWindows: Map<string, { time: number; value: number }[]>;
  readonly observations: Map<string, GroupObservation>;
  readonly openRebalances: Map<string, RebalanceEvent>;
  readonly rebalances: Map<string, RebalanceEvent[]>;
  readonly rebalanceCounts: Map<string, number>;
  readonly history: Map<string, { total: LagHistory; topics: Map<string, LagHistory> }>;
  /** Timestamp of the record at (topic, partition, offset), from direct reads. */
  recordTimes: RecordTimes;
}

/** Thrown inside an abandoned cycle when it resumes after its deadline; never escapes pollOnce(). */
export class CycleAbandoned extends Error {
  constructor() {
    super('poll cycle abandoned after its deadline');
    this.name = 'CycleAbandoned';
  }
}

/** One cycle's state: filled phase by phase. */
export interface Cycle {
  readonly options: PollOptions;
  readonly started: number;
  /** Set by the deadline: the cycle's work stops at its next step and publishes nothing. */
  abandoned: boolean;
  readonly errors: Record<string, number>;
  readonly recordReads: { read: number; cached: number; skipped: number; missed: number };
  /** Counts a failed stage (not once abandoned). */
  readonly countError: (stage: string, err: unknown) => void;
  /** Called after each await: an abandoned cycle stops (throws CycleAbandoned) before it changes any state. */
  readonly alive: () => void;
  // 1.
  topicNames: string[];
  groupIds: string[];
  // 2.
  readonly described: Map<string, GroupInfo>;
  readonly committed: Map<string, { topic: string; partition: number; offset: number }[] | Error>;
  readonly topicOffsets: Map<string, { offsets: PartitionOffsets[]; time: number } | Error>;
  /** Time of the offsets (after they were all read). */
  now: number;
  // 3.
  readonly topics: Map<string, TopicSnapshot>;
  // 4.
  readonly groups: Map<string, GroupLag>;
  /** Lagging partitions and the offset of their oldest unconsumed record, for time lag (parallel arrays). */
  readonly pendingParts: PartitionLagRow[];
  readonly pendingTargets: number[];
}

/** A new cycle; `onError` hears each error counted (for totals and the log). */
export function newCycle(options: PollOptions, onError: (stage: string, err: unknown) => void): Cycle {
  const cycle: Cycle = {
    options,
    started: Date.now(),
    abandoned: false,
    errors: dict(),
    recordReads: { read: 0, cached: 0, skipped: 0, missed: 0 },
    countError: (stage, err) => {
      if (cycle.abandoned) return;
      cycle.errors[stage] = (ownGet(cycle.errors, stage) ?? 0) + 1;
      onError(stage, err);
    },
    alive: () => {
      if (cycle.abandoned) throw new CycleAbandoned();
    },
    topicNames: [],
    groupIds: [],
    described: new Map(),
    committed: new Map(),
    topicOffsets: new Map(),
    now: 0,
    topics: new Map(),
    groups: new Map(),
    pendingParts: [],
    pendingTargets: [],
  };
  return cycle;
}

/** 1. What exists. False when topics or groups could not be listed (the cycle fails). */
export async function listNames(m: Memory, cy: Cycle): Promise<boolean> {
  try {
    cy.topicNames = (await m.kafka.listTopics()).filter((t) => !t.startsWith('__')).sort();
  } catch (err) {
    cy.countError('list_topics', err);
    return false;
  }
  try {
    cy.groupIds = (await m.kafka.listGroups())
      .map((g) => g.groupId)
      .filter((g) => m.include.test(g) && !m.exclude.test(g))
      .sort();
  } catch (err) {
    cy.countError('list_groups', err);
    return false;
  }
  cy.alive();
  return true;
}

/**
 * 2. Describe groups in batches, then committed offsets per group (pollConcurrency requests in
 * flight) alongside the log offsets of all topics (batched per leader).
 */
export async function readOffsets(m: Memory, cy: Cycle): Promise<void> {
  const limit = m.o.pollConcurrency;
  cy.alive();
  await mapLimit(chunks(cy.groupIds, m.o.describeBatchSize), limit, async (batch) => {
    if (cy.abandoned) return;
    try {
      for (const g of await m.kafka.describeGroups(batch)) cy.described.set(g.groupId, g);
    } catch (err) {
      cy.countError('describe_groups', err);
    }
  });
  cy.alive();
  const groupsDone = mapLimit(cy.groupIds, limit, async (id) => {
    if (cy.abandoned) return;
    try {
      cy.committed.set(id, await m.kafka.committedOffsets(id));
    } catch (err) {
      cy.countError('group_offsets', err);
      cy.committed.set(id, err instanceof Error ? err : new Error(String(err)));
    }
  });
  // Log offsets of every topic once per cycle, batched per leader broker.
  const topicsDone = (async () => {
    let result: Map<string, PartitionOffsets[] | Error>;
    try {
      result = await m.kafka.topicOffsets(cy.topicNames, limit);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      result = new Map(cy.topicNames.map((t) => [t, e]));
    }
    const time = Date.now();
    for (const [topic, entry] of result) {
      if (entry instanceof Error) {
        cy.countError('topic_offsets', entry);
        cy.topicOffsets.set(topic, entry);
      } else cy.topicOffsets.set(topic, { offsets: entry, time });
    }
  })();
  await Promise.all([groupsDone, topicsDone]);
  cy.alive();
  cy.now = Date.now();
}

function rate(first: { time: number; value: number } | undefined, last: { time: number; value: number } | undefined) {
  if (!first || !last || last.time <= first.time) return null;
  const delta = last.value - first.value;
  if (delta < 0) return null;
  return delta / ((last.time - first.time) / 1000);
}

/** 3. Topics: the offset/time table, throughput. */
export function topicPhase(m: Memory, cy: Cycle): void {
  for (const topic of cy.topicNames) {
    const entry = cy.topicOffsets.get(topic);
    if (!entry || entry instanceof Error) {
      cy.topics.set(topic, {
        topic,
        partitions: [],
        records: 0,
        endOffsetSum: 0,
        recordsInPerSecond: null,
        recordsInLastInterval: null,
        error: entry?.message ?? 'not read',
      });
      continue;
    }
    let endSum = 0;
    let records = 0;
    for (const p of entry.offsets) {
      m.table.add(topic, p.partition, p.end, entry.time);
      endSum += p.end;
      records += Math.max(0, p.end - p.start);
    }
    const window = m.topicWindows.get(topic) ?? [];
    const previous = window[window.length - 1];
    if (previous && endSum < previous.value) window.length = 0; // recreated topic
    window.push({ time: entry.time, value: endSum });
    while (window.length > m.o.statusWindow) window.shift();
    m.topicWindows.set(topic, window);
    const before = window[window.length - 2];
    cy.topics.set(topic, {
      topic,
      partitions: entry.offsets,
      records,
      endOffsetSum: endSum,
      recordsInPerSecond: rate(window[0], window[window.length - 1]),
      recordsInLastInterval: before ? endSum - before.value : null,
      error: null,
    });
  }
  const existing = new Set(cy.topicNames);
  for (const t of m.topicWindows.keys()) if (!existing.has(t)) m.topicWindows.delete(t);
  m.table.retainTopics(existing);
}
