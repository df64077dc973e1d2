/**
 * The lag service: one admin round per poll (list topics and groups, describe groups in
 * batches, committed offsets per group, log start/end offsets per topic once, bounded
 * concurrency), then lag in messages and seconds, status, rates and rebalances, kept as the
 * last snapshot. Outputs (metrics, routes, OffsetsView) read the snapshot; nothing but the
 * poll calls Kafka. A group or topic that fails is skipped and counted.
 */
import path from 'node:path';
import { dict, ownGet } from '../lib/safe-map.ts';
import {
  chunks,
  mapLimit,
  partitionKey,
  type GroupInfo,
  type KafkaAdapter,
  type PartitionOffsets,
} from '../kafka/index.ts';
import { OffsetTimeTable } from './offset-times.ts';
import { observeRebalance, type GroupObservation } from './rebalance.ts';
import { PartitionLagRow } from './partition-lag.ts';
import { SampleWindow, STATUS_CODES, windowConsumeRate, windowStatus, withinBudget, type Status } from './status.ts';
import type {
  GroupLag,
  GroupTopicLag,
  LagPoint,
  LagSecondsSource,
  PartitionLag,
  RebalanceEvent,
  Snapshot,
  TopicSnapshot,
} from './types.ts';

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
   * the previous snapshot stays, and the next cycle starts on schedule (default 30 s).
   */
  pollDeadlineMs?: number;
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra?: Record<string, unknown>) => void;
}

export interface PollOptions {
  /** Read record timestamps for lagging partitions (default true); false uses only the table. */
  recordReads?: boolean;
}

/** Thrown inside an abandoned cycle when it resumes after its deadline; never escapes pollOnce(). */
class CycleAbandoned extends Error {
  constructor() {
    super('poll cycle abandoned after its deadline');
    this.name = 'CycleAbandoned';
  }
}

export interface CycleContext {
  time: number;
  topics: ReadonlyMap<string, TopicSnapshot>;
  kafka: KafkaAdapter;
  countError(stage: string, err: unknown): void;
}

export type CycleStep = (ctx: CycleContext) => Promise<void>;

export interface CycleResult {
  snapshot: Snapshot | undefined;
  ok: boolean;
  durationMs: number;
  errors: Record<string, number>;
  recordReads: { read: number; cached: number; skipped: number; missed: number };
}

/** Glob with `*` (any run of characters) to a RegExp anchored on both ends. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

function rate(first: { time: number; value: number } | undefined, last: { time: number; value: number } | undefined) {
  if (!first || !last || last.time <= first.time) return null;
  const delta = last.value - first.value;
  if (delta < 0) return null;
  return delta / ((last.time - first.time) / 1000);
}

const sumOrNull = (values: (number | null)[]): number | null =>
  values.some((v) => v !== null) ? values.reduce<number>((s, v) => s + (v ?? 0), 0) : null;

function catchUp(lag: number, consumeRate: number | null, produceRate: number | null): number | null {
  if (lag === 0) return 0;
  if (consumeRate === null) return null;
  const net = consumeRate - (produceRate ?? 0);
  return net > 0 ? lag / net : null;
}

/** Partitions in topic order, then by number. */
const compareRows = (a: PartitionLag, b: PartitionLag): number =>
  a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;

/** topic -> partition -> record offset -> value (a record's timestamp, or an index). */
type RecordTimes = Map<string, Map<number, Map<number, number>>>;

function getRecordTime(times: RecordTimes, topic: string, partition: number, offset: number): number | undefined {
  return times.get(topic)?.get(partition)?.get(offset);
}

function setRecordTime(times: RecordTimes, topic: string, partition: number, offset: number, value: number): void {
  let byPartition = times.get(topic);
  if (!byPartition) {
    byPartition = new Map();
    times.set(topic, byPartition);
  }
  let byOffset = byPartition.get(partition);
  if (!byOffset) {
    byOffset = new Map();
    byPartition.set(partition, byOffset);
  }
  byOffset.set(offset, value);
}

interface CycleState {
  abandoned: boolean;
  errors: Record<string, number>;
}

export class KafkaMonitor {
  readonly #kafka: KafkaAdapter;
  readonly #o: Required<Omit<MonitorOptions, 'log' | 'lagBudgetSeconds'>> &
    Pick<MonitorOptions, 'log' | 'lagBudgetSeconds'>;
  readonly #include: RegExp;
  readonly #exclude: RegExp;
  readonly table: OffsetTimeTable;

  #snapshot: Snapshot | undefined;
  #lastSuccess: number | undefined;
  #lastCycleOk = false;
  #running: Promise<CycleResult> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastPersist = 0;

  /** Status windows: group -> topic -> partition -> window. */
  readonly #windows = new Map<string, Map<string, (SampleWindow | undefined)[]>>();
  #cycleCount = 0;
  readonly #topicWindows = new Map<string, { time: number; value: number }[]>();
  readonly #observations = new Map<string, GroupObservation>();
  readonly #openRebalances = new Map<string, RebalanceEvent>();
  readonly #rebalances = new Map<string, RebalanceEvent[]>();
  readonly #rebalanceCounts = new Map<string, number>();
  readonly #history = new Map<string, { total: LagPoint[]; topics: Map<string, LagPoint[]> }>();
  /** Timestamp of the record at (topic, partition, offset), from direct reads. */
  #recordTimes: RecordTimes = new Map();
  readonly #steps: { name: string; step: CycleStep }[] = [];
  readonly #listeners: ((result: CycleResult) => void)[] = [];
  readonly #errorTotals = new Map<string, number>();

  constructor(kafka: KafkaAdapter, options: MonitorOptions) {
    this.#kafka = kafka;
    this.#o = {
      maxRecordReadsPerCycle: 200,
      recordReadMaxBytes: 64 * 1024,
      describeBatchSize: 100,
      historyPoints: 720,
      rebalanceHistory: 50,
      persistEveryMs: 30_000,
      pollDeadlineMs: 30_000,
      ...options,
    };
    this.#include = globToRegExp(options.groupsInclude);
    this.#exclude = globToRegExp(options.groupsExclude);
    this.table = new OffsetTimeTable({ file: path.join(options.dataDir, 'lag-offset-times.json') });
    const problem = this.table.load();
    if (problem) this.#o.log?.('warn', `lag offset/time table: ${problem}`);
  }

  /** The last successful snapshot. */
  get snapshot(): Snapshot | undefined {
    return this.#snapshot;
  }

  get lastSuccessTime(): number | undefined {
    return this.#lastSuccess;
  }

  get lastCycleOk(): boolean {
    return this.#lastCycleOk;
  }

  /** Cumulative errors by stage since start. */
  get errorTotals(): ReadonlyMap<string, number> {
    return this.#errorTotals;
  }

  rebalanceCount(group: string): number {
    return this.#rebalanceCounts.get(group) ?? 0;
  }

  rebalances(group: string): readonly RebalanceEvent[] {
    return this.#rebalances.get(group) ?? [];
  }

  history(group: string): { total: readonly LagPoint[]; topics: ReadonlyMap<string, readonly LagPoint[]> } {
    return this.#history.get(group) ?? { total: [], topics: new Map() };
  }

  get tolerance(): number {
    return this.#o.lagTolerance;
  }

  get lagBudgetSeconds(): number | null {
    return this.#o.lagBudgetSeconds ?? null;
  }

  get statusWindow(): number {
    return this.#o.statusWindow;
  }

  /** Extra work in each cycle after the offsets (e.g. DLQ tails); its failures are counted under `name`. */
  addCycleStep(name: string, step: CycleStep): void {
    this.#steps.push({ name, step });
  }

  onCycle(listener: (result: CycleResult) => void): void {
    this.#listeners.push(listener);
  }

  /** Polls every pollIntervalMs until stop(). */
  start(): void {
    if (this.#timer || this.#stopped) return;
    const loop = (): void => {
      const started = Date.now();
      this.pollOnce()
        .catch(() => undefined)
        .finally(() => {
          if (this.#stopped) return;
          const wait = Math.max(0, this.#o.pollIntervalMs - (Date.now() - started));
          this.#timer = setTimeout(loop, wait);
        });
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
    this.#persist(true);
  }

  /**
   * One poll cycle; concurrent callers share the cycle in flight. A cycle that outlasts its
   * deadline (e.g. admin requests hanging while topics are deleted) resolves as failed with a
   * `deadline` error; the abandoned work stops at its next step and publishes nothing.
   */
  pollOnce(options: PollOptions = {}): Promise<CycleResult> {
    this.#running ??= this.#withDeadline(options).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #withDeadline(options: PollOptions): Promise<CycleResult> {
    const started = Date.now();
    const deadlineMs = this.#o.pollDeadlineMs;
    const state: CycleState = { abandoned: false, errors: dict() };
    const cycle = this.#cycle(options, state);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CycleResult>((resolve) => {
      timer = setTimeout(() => {
        this.#countError(state, 'deadline', new Error(`poll cycle still running after ${deadlineMs} ms; abandoned`));
        state.abandoned = true;
        const result: CycleResult = {
          snapshot: undefined,
          ok: false,
          durationMs: Date.now() - started,
          errors: state.errors,
          recordReads: { read: 0, cached: 0, skipped: 0, missed: 0 },
        };
        this.#lastCycleOk = false;
        for (const l of this.#listeners) l(result);
        resolve(result);
      }, deadlineMs);
      timer.unref();
    });
    // The abandoned cycle rejects with CycleAbandoned when it resumes: nobody waits for it.
    cycle.catch(() => undefined);
    return Promise.race([cycle, deadline]).finally(() => clearTimeout(timer));
  }

  #countError(state: CycleState, stage: string, err: unknown): void {
    if (state.abandoned) return;
    state.errors[stage] = (ownGet(state.errors, stage) ?? 0) + 1;
    this.#errorTotals.set(stage, (this.#errorTotals.get(stage) ?? 0) + 1);
    this.#o.log?.('warn', `kafka poll: ${stage} failed: ${(err as Error)?.message ?? String(err)}`);
  }

  #persist(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastPersist < this.#o.persistEveryMs) return;
    this.#lastPersist = now;
    try {
      this.table.save();
    } catch (err) {
      this.#o.log?.('warn', `cannot persist the lag offset/time table: ${(err as Error).message}`);
    }
  }

  async #cycle(options: PollOptions, state: CycleState): Promise<CycleResult> {
    const started = Date.now();
    const errors = state.errors;
    const countError = (stage: string, err: unknown): void => this.#countError(state, stage, err);
    // After each await: an abandoned cycle stops before it changes any state.
    const alive = (): void => {
      if (state.abandoned) throw new CycleAbandoned();
    };
    const recordReads = { read: 0, cached: 0, skipped: 0, missed: 0 };
    const finish = (ok: boolean, snapshot: Snapshot | undefined): CycleResult => {
      alive();
      this.#lastCycleOk = ok;
      const result = { snapshot, ok, durationMs: Date.now() - started, errors, recordReads };
      for (const l of this.#listeners) l(result);
      return result;
    };

    // 1. What exists.
    let topicNames: string[];
    let groupIds: string[];
    try {
      topicNames = (await this.#kafka.listTopics()).filter((t) => !t.startsWith('__')).sort();
    } catch (err) {
      countError('list_topics', err);
      return finish(false, undefined);
    }
    try {
      groupIds = (await this.#kafka.listGroups())
        .map((g) => g.groupId)
        .filter((g) => this.#include.test(g) && !this.#exclude.test(g))
        .sort();
    } catch (err) {
      countError('list_groups', err);
      return finish(false, undefined);
    }
    alive();

    // 2. Describe groups in batches, then committed offsets per group (pollConcurrency
    //    requests in flight) alongside the log offsets of all topics (batched per leader).
    const limit = this.#o.pollConcurrency;
    const described = new Map<string, GroupInfo>();
    alive();
    await mapLimit(chunks(groupIds, this.#o.describeBatchSize), limit, async (batch) => {
      if (state.abandoned) return;
      try {
        for (const g of await this.#kafka.describeGroups(batch)) described.set(g.groupId, g);
      } catch (err) {
        countError('describe_groups', err);
      }
    });
    const committed = new Map<string, { topic: string; partition: number; offset: number }[] | Error>();
    const topicOffsets = new Map<string, { offsets: PartitionOffsets[]; time: number } | Error>();
    alive();
    const groupsDone = mapLimit(groupIds, limit, async (id) => {
      if (state.abandoned) return;
      try {
        committed.set(id, await this.#kafka.committedOffsets(id));
      } catch (err) {
        countError('group_offsets', err);
        committed.set(id, err instanceof Error ? err : new Error(String(err)));
      }
    });
    // Log offsets of every topic once per cycle, batched per leader broker.
    const topicsDone = (async () => {
      let result: Map<string, PartitionOffsets[] | Error>;
      try {
        result = await this.#kafka.topicOffsets(topicNames, limit);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        result = new Map(topicNames.map((t) => [t, e]));
      }
      const time = Date.now();
      for (const [topic, entry] of result) {
        if (entry instanceof Error) {
          countError('topic_offsets', entry);
          topicOffsets.set(topic, entry);
        } else topicOffsets.set(topic, { offsets: entry, time });
      }
    })();
    await Promise.all([groupsDone, topicsDone]);
    alive();
    const now = Date.now();

    // 3. Topics: the offset/time table, throughput.
    const topics = new Map<string, TopicSnapshot>();
    for (const topic of topicNames) {
      const entry = topicOffsets.get(topic);
      if (!entry || entry instanceof Error) {
        topics.set(topic, {
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
        this.table.add(topic, p.partition, p.end, entry.time);
        endSum += p.end;
        records += Math.max(0, p.end - p.start);
      }
      const window = this.#topicWindows.get(topic) ?? [];
      const previous = window[window.length - 1];
      if (previous && endSum < previous.value) window.length = 0; // recreated topic
      window.push({ time: entry.time, value: endSum });
      while (window.length > this.#o.statusWindow) window.shift();
      this.#topicWindows.set(topic, window);
      const before = window[window.length - 2];
      topics.set(topic, {
        topic,
        partitions: entry.offsets,
        records,
        endOffsetSum: endSum,
        recordsInPerSecond: rate(window[0], window[window.length - 1]),
        recordsInLastInterval: before ? endSum - before.value : null,
        error: null,
      });
    }
    const existing = new Set(topicNames);
    for (const t of this.#topicWindows.keys()) if (!existing.has(t)) this.#topicWindows.delete(t);
    this.table.retainTopics(existing);

    // 4. Per group and partition: offsets, lag, the status window (kept in place per
    //    partition; see SampleWindow), status and consume rate in one pass over the window.
    const byPartition = new Map<string, (PartitionOffsets | undefined)[]>();
    for (const [topic, entry] of topicOffsets) {
      if (entry instanceof Error) continue;
      const list: (PartitionOffsets | undefined)[] = [];
      for (const p of entry.offsets) list[p.partition] = p;
      byPartition.set(topic, list);
    }
    const cycleNo = ++this.#cycleCount;
    const statusWindow = this.#o.statusWindow;
    const tolerance = this.#o.lagTolerance;
    // Lagging partitions and the offset of their oldest unconsumed record, for time lag.
    const pendingParts: PartitionLagRow[] = [];
    const pendingTargets: number[] = [];
    const groups = new Map<string, GroupLag>();
    const previousGroups = this.#snapshot?.groups;
    for (const groupId of groupIds) {
      const info: GroupInfo = described.get(groupId) ?? {
        groupId,
        state: 'Unknown',
        protocolType: '',
        protocol: '',
        members: [],
        errorCode: -1,
      };
      if (info.state === 'Dead') continue; // deleted between list and describe
      this.#observeMembership(groupId, info, now);
      const offsets = committed.get(groupId);
      // topic -> partition -> the owning member's identity (one object per member).
      const owners = new Map<string, (PartitionLag['owner'] | undefined)[]>();
      let anyAssignment = false;
      for (const m of info.members) {
        const ownerInfo = { memberId: m.memberId, clientId: m.clientId, host: m.host };
        for (const [topic, parts] of Object.entries(m.assignment)) {
          let list = owners.get(topic);
          if (!list) {
            list = [];
            owners.set(topic, list);
          }
          for (const p of parts) {
            list[p] = ownerInfo;
            anyAssignment = true;
          }
        }
      }
      if (!offsets || offsets instanceof Error) {
        const prev = previousGroups?.get(groupId);
        groups.set(groupId, {
          ...this.#emptyGroup(groupId, info, now),
          status: 'ERR',
          error: offsets?.message ?? 'offsets not read',
          partitions: (prev?.partitions ?? []).map((p) =>
            p instanceof PartitionLagRow ? p.withStatus('ERR') : { ...p, status: 'ERR' },
          ),
        });
        continue;
      }
      let windows = this.#windows.get(groupId);
      if (!windows) {
        windows = new Map();
        this.#windows.set(groupId, windows);
      }
      const describedNow = described.has(groupId);
      const unassignedMembers = !anyAssignment && info.members.length > 0;
      const partitions: PartitionLagRow[] = [];
      let topic: string | undefined;
      let topicWindows: (SampleWindow | undefined)[] = [];
      let topicOwners: (PartitionLag['owner'] | undefined)[] | undefined;
      let topicEnds: (PartitionOffsets | undefined)[] | undefined;
      let sorted = true;
      let previousRow: PartitionLagRow | undefined;
      for (const c of offsets) {
        if (c.topic !== topic) {
          if (!existing.has(c.topic)) continue; // commits on a deleted topic
          topic = c.topic;
          let list = windows.get(topic);
          if (!list) {
            list = [];
            windows.set(topic, list);
          }
          topicWindows = list;
          topicOwners = owners.get(topic);
          topicEnds = byPartition.get(topic);
        }
        let window = topicWindows[c.partition];
        if (!window) {
          window = new SampleWindow(statusWindow, c.partition);
          topicWindows[c.partition] = window;
        }
        window.seen = cycleNo;
        const owner = topicOwners?.[c.partition];
        const ownerInfo = owner ?? null;
        // Not described this cycle: membership unknown, so never claim that nobody consumes it.
        const owned = !describedNow || owner !== undefined || unassignedMembers;
        const po = topicEnds?.[c.partition];
        let row: PartitionLagRow;
        if (!po) {
          row = new PartitionLagRow(c.topic, c.partition, c.offset, null, null, null, 'ERR', ownerInfo, null);
        } else {
          // The end offset is read after the committed offset (or before): a consumer can
          // commit in between, so end - committed can come out negative for a moment. It is
          // a race between two reads, not a real state; report 0.
          const lag = Math.max(0, po.end - c.offset);
          window.push(now, c.offset, lag);
          const { buffer, start, end } = window;
          row = new PartitionLagRow(
            c.topic,
            c.partition,
            c.offset,
            po.end,
            po.start,
            lag,
            windowStatus(buffer, start, end, tolerance, owned),
            ownerInfo,
            windowConsumeRate(buffer, start, end),
          );
          // Records below the log start are gone; the oldest unconsumed one left is at the start.
          if (lag > 0) {
            pendingParts.push(row);
            pendingTargets.push(Math.max(c.offset, po.start));
          }
        }
        row.setWindow(window.buffer, window.start, window.end);
        if (previousRow && compareRows(previousRow, row) > 0) sorted = false;
        previousRow = row;
        partitions.push(row);
      }
      // Forget partitions the group no longer has offsets for.
      for (const [t, list] of windows) {
        let any = false;
        for (let i = 0; i < list.length; i++) {
          const w = list[i];
          if (!w) continue;
          if (w.seen !== cycleNo) list[i] = undefined;
          else any = true;
        }
        if (!any) windows.delete(t);
      }
      if (!sorted) partitions.sort(compareRows);
      groups.set(groupId, { ...this.#emptyGroup(groupId, info, now), partitions });
    }
    for (const g of this.#windows.keys()) if (!groups.has(g)) this.#windows.delete(g);
    for (const g of this.#observations.keys()) {
      if (!groups.has(g)) {
        this.#observations.delete(g);
        this.#openRebalances.delete(g);
      }
    }

    // 5. Time lag: record timestamps for lagging partitions (cached by offset, capped per
    //    cycle, most lagging first), the offset/time table for the rest.
    const usedRecordTimes: RecordTimes = new Map();
    const toRead: { topic: string; partition: number; offset: number; lag: number }[] = [];
    // The same record wanted by several groups is read once (at the position it was first wanted).
    const toReadIndex: RecordTimes = new Map();
    for (let i = 0; i < pendingParts.length; i++) {
      const part = pendingParts[i] as PartitionLagRow;
      const target = pendingTargets[i] as number;
      const cached = getRecordTime(this.#recordTimes, part.topic, part.partition, target);
      if (cached !== undefined) {
        setRecordTime(usedRecordTimes, part.topic, part.partition, target, cached);
        recordReads.cached++;
      } else if (options.recordReads !== false) {
        const lag = part.lag ?? 0;
        const at = getRecordTime(toReadIndex, part.topic, part.partition, target);
        if (at === undefined) {
          setRecordTime(toReadIndex, part.topic, part.partition, target, toRead.length);
          toRead.push({ topic: part.topic, partition: part.partition, offset: target, lag });
        } else if ((toRead[at] as { lag: number }).lag < lag) {
          (toRead[at] as { lag: number }).lag = lag;
        }
      }
    }
    const reads = toRead.sort((a, b) => b.lag - a.lag);
    const selected = reads.slice(0, this.#o.maxRecordReadsPerCycle);
    recordReads.skipped = reads.length - selected.length;
    if (selected.length > 0) {
      try {
        const result = await this.#kafka.readRecords(selected, { maxBytesPerPartition: this.#o.recordReadMaxBytes });
        for (const r of selected) {
          const rec = result.get(partitionKey(r.topic, r.partition))?.[0];
          // Timestamp -1: a record without one (old message format); fall back to the table.
          if (rec && rec.timestamp > 0) {
            // A compacted or transactional log may have no record at exactly this offset;
            // the first one after it is the oldest unconsumed.
            setRecordTime(usedRecordTimes, r.topic, r.partition, r.offset, rec.timestamp);
            recordReads.read++;
          } else recordReads.missed++;
        }
      } catch (err) {
        countError('record_reads', err);
        recordReads.missed += selected.length;
      }
      alive();
    }
    this.#recordTimes = usedRecordTimes;
    for (let i = 0; i < pendingParts.length; i++) {
      const part = pendingParts[i] as PartitionLagRow;
      const target = pendingTargets[i] as number;
      const ts = getRecordTime(usedRecordTimes, part.topic, part.partition, target);
      let time: number | undefined;
      let source: LagSecondsSource = 'unknown';
      if (ts !== undefined) {
        time = ts;
        source = 'record';
      } else {
        const estimate = this.table.estimate(part.topic, part.partition, target);
        if (estimate) {
          time = estimate.time;
          source = estimate.lowerBound ? 'lower-bound' : 'interpolated';
        }
      }
      if (time !== undefined) {
        // A producer clock ahead of ours gives a future timestamp; the record is not negative seconds old.
        part.lagSeconds = Math.max(0, (now - time) / 1000);
        part.lagSecondsSource = source;
        part.lagSecondsIsLowerBound = source === 'lower-bound';
      }
    }

    // 6. Group and topic roll-ups, history.
    for (const g of groups.values()) {
      if (g.error === null) this.#rollUp(g, topics);
      g.rebalanceCount = this.#rebalanceCounts.get(g.group) ?? 0;
      const events = this.#rebalances.get(g.group);
      g.lastRebalance = this.#openRebalances.get(g.group) ?? events?.[events.length - 1] ?? null;
      this.#recordHistory(g, now);
    }
    for (const g of this.#history.keys()) if (!groups.has(g)) this.#history.delete(g);
    for (const g of this.#rebalances.keys()) {
      if (!groups.has(g)) {
        this.#rebalances.delete(g);
        this.#rebalanceCounts.delete(g);
      }
    }

    const snapshot: Snapshot = { time: now, durationMs: Date.now() - started, groups, topics, errors };
    this.#snapshot = snapshot;
    this.#lastSuccess = now;

    // 7. Extra steps (DLQ tails) on this cycle's data.
    for (const { name, step } of this.#steps) {
      try {
        await step({ time: now, topics, kafka: this.#kafka, countError });
      } catch (err) {
        countError(name, err);
      }
      alive();
    }
    this.#persist(false);
    snapshot.durationMs = Date.now() - started;
    return finish(true, snapshot);
  }

  #emptyGroup(groupId: string, info: GroupInfo, now: number): GroupLag {
    return {
      group: groupId,
      state: info.state,
      protocolType: info.protocolType,
      protocol: info.protocol,
      members: info.members,
      status: 'OK',
      error: null,
      lag: 0,
      lagSeconds: null,
      lagSecondsIsLowerBound: false,
      consumeRate: null,
      timeToCatchUpSeconds: null,
      topics: [],
      partitions: [],
      rebalanceCount: 0,
      lastRebalance: null,
      updatedAt: now,
    };
  }

  /** Per-topic and group figures from the group's partitions, in one pass over them. */
  #rollUp(g: GroupLag, topics: ReadonlyMap<string, TopicSnapshot>): void {
    interface TopicAccumulator {
      topic: string;
      partitions: number;
      lag: number;
      lagSeconds: number | null;
      lagSecondsIsLowerBound: boolean;
      consumeRateSum: number;
      consumeRateKnown: boolean;
      status: Status;
    }
    const byTopic = new Map<string, TopicAccumulator>();
    let acc: TopicAccumulator | undefined;
    let groupStatus: Status = 'OK';
    for (const p of g.partitions) {
      p.status = withinBudget(p.status, p.lagSeconds, this.#o.lagBudgetSeconds);
      if (acc?.topic !== p.topic) {
        acc = byTopic.get(p.topic);
        if (!acc) {
          acc = {
            topic: p.topic,
            partitions: 0,
            lag: 0,
            lagSeconds: null,
            lagSecondsIsLowerBound: false,
            consumeRateSum: 0,
            consumeRateKnown: false,
            status: 'OK',
          };
          byTopic.set(p.topic, acc);
        }
      }
      acc.partitions++;
      acc.lag += p.lag ?? 0;
      if (p.lagSeconds !== null && (acc.lagSeconds === null || p.lagSeconds > acc.lagSeconds)) {
        acc.lagSeconds = p.lagSeconds;
      }
      if (p.lagSecondsIsLowerBound) acc.lagSecondsIsLowerBound = true;
      // Summed in partition order, unknown rates as 0 (null only when none is known).
      acc.consumeRateSum += p.consumeRate ?? 0;
      if (p.consumeRate !== null) acc.consumeRateKnown = true;
      if (STATUS_CODES[p.status] > STATUS_CODES[acc.status]) acc.status = p.status;
      if (STATUS_CODES[p.status] > STATUS_CODES[groupStatus]) groupStatus = p.status;
    }
    const topicLags: GroupTopicLag[] = [];
    for (const t of byTopic.values()) {
      const consumeRate = t.consumeRateKnown ? t.consumeRateSum : null;
      const produceRate = topics.get(t.topic)?.recordsInPerSecond ?? null;
      topicLags.push({
        topic: t.topic,
        partitions: t.partitions,
        lag: t.lag,
        lagSeconds: t.lagSeconds,
        // The group's age is the oldest partition's; if any partition's figure is only a lower
        // bound, the true maximum may be higher.
        lagSecondsIsLowerBound: t.lagSecondsIsLowerBound,
        consumeRate,
        produceRate,
        timeToCatchUpSeconds: catchUp(t.lag, consumeRate, produceRate),
        status: t.status,
      });
    }
    g.topics = topicLags;
    g.lag = topicLags.reduce((s, t) => s + t.lag, 0);
    const seconds = topicLags.map((t) => t.lagSeconds).filter((s): s is number => s !== null);
    g.lagSeconds = seconds.length > 0 ? Math.max(...seconds) : null;
    g.lagSecondsIsLowerBound = topicLags.some((t) => t.lagSecondsIsLowerBound);
    g.consumeRate = sumOrNull(topicLags.map((t) => t.consumeRate));
    g.status = groupStatus;
    const catchUps = topicLags.map((t) => t.timeToCatchUpSeconds);
    g.timeToCatchUpSeconds =
      g.lag === 0 ? 0 : catchUps.some((c) => c === null) ? null : Math.max(0, ...(catchUps as number[]));
  }

  #recordHistory(g: GroupLag, now: number): void {
    const h = this.#history.get(g.group) ?? { total: [], topics: new Map<string, LagPoint[]>() };
    const push = (list: LagPoint[], point: LagPoint): void => {
      list.push(point);
      while (list.length > this.#o.historyPoints) list.shift();
    };
    if (g.error === null) {
      push(h.total, { time: now, lag: g.lag, lagSeconds: g.lagSeconds });
      const current = new Set<string>();
      for (const t of g.topics) {
        current.add(t.topic);
        const list = h.topics.get(t.topic) ?? [];
        push(list, { time: now, lag: t.lag, lagSeconds: t.lagSeconds });
        h.topics.set(t.topic, list);
      }
      for (const t of h.topics.keys()) if (!current.has(t)) h.topics.delete(t);
    }
    this.#history.set(g.group, h);
  }

  /** Rebalance detection (see rebalance.ts), keeping the open event, history and count per group. */
  #observeMembership(groupId: string, info: GroupInfo, now: number): void {
    const current: GroupObservation = {
      time: now,
      state: info.state,
      memberIds: new Set(info.members.map((m) => m.memberId)),
    };
    const step = observeRebalance(this.#observations.get(groupId), this.#openRebalances.get(groupId), current);
    if (step.open) this.#openRebalances.set(groupId, step.open);
    else this.#openRebalances.delete(groupId);
    if (step.completed) {
      const list = this.#rebalances.get(groupId) ?? [];
      list.push(step.completed);
      while (list.length > this.#o.rebalanceHistory) list.shift();
      this.#rebalances.set(groupId, list);
      this.#rebalanceCounts.set(groupId, (this.#rebalanceCounts.get(groupId) ?? 0) + 1);
    }
    // An undescribed poll (Unknown) is not an observation: compare the next one with the last known.
    if (current.state !== 'Unknown') this.#observations.set(groupId, current);
  }
}
