/**
 * The lag service: one admin round per poll (list topics and groups, describe groups in
 * batches, committed offsets per group, log start/end offsets per topic once, bounded
 * concurrency), then lag in messages and seconds, status, rates and rebalances, kept as the
 * last snapshot. Outputs (metrics, routes, OffsetsView) read the snapshot; nothing but the
 * poll calls Kafka. A group or topic that fails is skipped and counted.
 *
 * This class schedules cycles, bounds them by a deadline and publishes their snapshot; the
 * cycle's phases are in cycle.ts (and the files it names).
 */
import path from 'node:path';
import { CONFIG_KEYS } from '../config.ts';
import type { KafkaAdapter } from '../kafka/index.ts';
import {
  listNames,
  newCycle,
  readOffsets,
  topicPhase,
  type Cycle,
  type Memory,
  type MonitorOptions,
  type PollOptions,
} from './cycle.ts';
import { groupPhase } from './cycle-groups.ts';
import { timeLagPhase } from './cycle-time-lag.ts';
import { OffsetTimeTable } from './offset-times.ts';
import { rollUpPhase } from './rollup.ts';
import type { LagPoint, RebalanceEvent, Snapshot, TopicSnapshot } from './types.ts';

export type { MonitorOptions, PollOptions } from './cycle.ts';

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

export class KafkaMonitor {
  readonly #m: Memory;
  readonly table: OffsetTimeTable;

  #lastSuccess: number | undefined;
  #lastCycleOk = false;
  #running: Promise<CycleResult> | undefined;
  /** Drops the cycle in flight (stop()). */
  #dropCycle: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The poll loop's generation: pause() ends the loop of the previous start(). */
  #loopGen = 0;
  #lastPersist = 0;
  readonly #steps: { name: string; step: CycleStep }[] = [];
  readonly #listeners: ((result: CycleResult) => void)[] = [];
  readonly #errorTotals = new Map<string, number>();
  /** Stages whose last poll failed, with the reason last logged (logged again only when it changes). */
  readonly #failing = new Map<string, string>();

  constructor(kafka: KafkaAdapter, options: MonitorOptions) {
    this.table = new OffsetTimeTable({ file: path.join(options.dataDir, 'lag-offset-times.json') });
    this.#m = {
      kafka,
      o: {
        maxRecordReadsPerCycle: CONFIG_KEYS.recordReadsPerCycle.default,
        recordReadMaxBytes: 64 * 1024,
        describeBatchSize: 100,
        historyPoints: 720,
        rebalanceHistory: 50,
        persistEveryMs: 30_000,
        pollDeadlineMs: CONFIG_KEYS.pollDeadlineMs.default,
        ...options,
      },
      include: globToRegExp(options.groupsInclude),
      exclude: globToRegExp(options.groupsExclude),
      table: this.table,
      snapshot: undefined,
      snapshotCycle: undefined,
      cycleCount: 0,
      windows: new Map(),
      topicWindows: new Map(),
      observations: new Map(),
      openRebalances: new Map(),
      rebalances: new Map(),
      rebalanceCounts: new Map(),
      history: new Map(),
      recordTimes: new Map(),
    };
    const problem = this.table.load();
    if (problem) this.#m.o.log?.('warn', `lag offset/time table: ${problem}`);
  }

  /** The last successful snapshot. */
  get snapshot(): Snapshot | undefined {
    return this.#m.snapshot;
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
    return this.#m.rebalanceCounts.get(group) ?? 0;
  }

  rebalances(group: string): readonly RebalanceEvent[] {
    return this.#m.rebalances.get(group) ?? [];
  }

  history(group: string): { total: readonly LagPoint[]; topics: ReadonlyMap<string, readonly LagPoint[]> } {
    const h = this.#m.history.get(group);
    if (!h) return { total: [], topics: new Map() };
    return { total: h.total.points(), topics: new Map([...h.topics].map(([t, list]) => [t, list.points()])) };
  }

  get tolerance(): number {
    return this.#m.o.lagTolerance;
  }

  get lagBudgetSeconds(): number | null {
    return this.#m.o.lagBudgetSeconds ?? null;
  }

  get statusWindow(): number {
    return this.#m.o.statusWindow;
  }

  /** Extra work in each cycle after the offsets (e.g. DLQ tails); its failures are counted under `name`. */
  addCycleStep(name: string, step: CycleStep): void {
    this.#steps.push({ name, step });
  }

  onCycle(listener: (result: CycleResult) => void): void {
    this.#listeners.push(listener);
  }

  /** Polls every pollIntervalMs until stop() (or pause()). */
  start(): void {
    if (this.#timer || this.#stopped) return;
    const gen = ++this.#loopGen;
    const loop = (): void => {
      const started = Date.now();
      this.pollOnce()
        .catch(() => undefined)
        .finally(() => {
          if (this.#stopped || gen !== this.#loopGen) return;
          const wait = Math.max(0, this.#m.o.pollIntervalMs - (Date.now() - started));
          this.#timer = setTimeout(loop, wait);
        });
    };
    this.#timer = setTimeout(loop, 0);
  }

  /**
   * Takes a snapshot another collector polled (lag/shared-snapshot.ts) as the last one: a follower
   * of the monitor election answers from it. Not a cycle: no listener is told, no metric counts it.
   */
  adopt(snapshot: Snapshot): void {
    this.#m.snapshot = snapshot;
    this.#m.snapshotCycle = undefined;
  }

  /** Stops polling until start() again (a collector that no longer leads the monitor election, lag/leader.ts). */
  async pause(): Promise<void> {
    this.#loopGen++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Shutdown does not wait for Kafka (a cycle can wait up to pollDeadlineMs): the cycle in flight
    // is dropped as one past its deadline is, and stops before it changes any state.
    this.#dropCycle?.();
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
    const deadlineMs = this.#m.o.pollDeadlineMs;
    const cy = newCycle(options, (stage, err) => {
      this.#errorTotals.set(stage, (this.#errorTotals.get(stage) ?? 0) + 1);
      const message = (err as Error)?.message ?? String(err);
      // Said once per change of reason (a wrong password fails every poll), not once per poll.
      if (this.#failing.get(stage) === message) return;
      this.#failing.set(stage, message);
      this.#m.o.log?.('warn', `kafka poll: ${stage} failed: ${message}`);
    });
    const cycle = this.#cycle(cy);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CycleResult>((resolve) => {
      const abandon = (): CycleResult => {
        cy.abandoned = true;
        const result: CycleResult = {
          snapshot: undefined,
          ok: false,
          durationMs: Date.now() - cy.started,
          errors: cy.errors,
          recordReads: { read: 0, cached: 0, skipped: 0, missed: 0 },
        };
        resolve(result);
        return result;
      };
      timer = setTimeout(() => {
        cy.countError('deadline', new Error(`poll cycle still running after ${deadlineMs} ms; abandoned`));
        const result = abandon();
        this.#lastCycleOk = false;
        for (const l of this.#listeners) l(result);
      }, deadlineMs);
      timer.unref();
      this.#dropCycle = () => void abandon();
    });
    // The abandoned cycle rejects with CycleAbandoned when it resumes: nobody waits for it.
    cycle.catch(() => undefined);
    return Promise.race([cycle, deadline])
      .then((result) => {
        for (const stage of this.#failing.keys()) {
          if (Object.hasOwn(result.errors, stage)) continue;
          this.#failing.delete(stage);
          this.#m.o.log?.('info', `kafka poll: ${stage} works again`);
        }
        return result;
      })
      .finally(() => {
        clearTimeout(timer);
        this.#dropCycle = undefined;
      });
  }

  #persist(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastPersist < this.#m.o.persistEveryMs) return;
    this.#lastPersist = now;
    try {
      this.table.save();
    } catch (err) {
      this.#m.o.log?.('warn', `cannot persist the lag offset/time table: ${(err as Error).message}`);
    }
  }

  #finish(cy: Cycle, ok: boolean, snapshot: Snapshot | undefined): CycleResult {
    cy.alive();
    this.#lastCycleOk = ok;
    const result: CycleResult = {
      snapshot,
      ok,
      durationMs: Date.now() - cy.started,
      errors: cy.errors,
      recordReads: cy.recordReads,
    };
    for (const l of this.#listeners) l(result);
    return result;
  }

  /** The phases in order (cycle.ts), then the snapshot, then the extra steps. */
  async #cycle(cy: Cycle): Promise<CycleResult> {
    const m = this.#m;
    if (!(await listNames(m, cy))) return this.#finish(cy, false, undefined);
    await readOffsets(m, cy);
    topicPhase(m, cy);
    groupPhase(m, cy);
    await timeLagPhase(m, cy);
    rollUpPhase(m, cy);

    const snapshot: Snapshot = {
      time: cy.now,
      durationMs: Date.now() - cy.started,
      groups: cy.groups,
      topics: cy.topics,
      errors: cy.errors,
      missingGroupTypes: m.kafka.capabilities?.missing ?? [],
    };
    m.snapshot = snapshot;
    m.snapshotCycle = m.cycleCount;
    this.#lastSuccess = cy.now;

    // 7. Extra steps (DLQ tails) on this cycle's data.
    for (const { name, step } of this.#steps) {
      try {
        await step({ time: cy.now, topics: cy.topics, kafka: m.kafka, countError: cy.countError });
      } catch (err) {
        cy.countError(name, err);
      }
      cy.alive();
    }
    this.#persist(false);
    snapshot.durationMs = Date.now() - cy.started;
    return this.#finish(cy, true, snapshot);
  }
}
