/**
 * Phase 6 of a poll cycle (see cycle.ts): per topic and group figures rolled up from the
 * partitions (lag, age, consume rate, time to catch up, status), rebalance counts, and the lag
 * history kept per group for charts.
 */
import type { Cycle, Memory } from './cycle.ts';
import { STATUS_CODES, withinBudget, type Status } from './status.ts';
import type { GroupLag, GroupTopicLag, LagPoint, RetentionRisk, TopicSnapshot } from './types.ts';

const RISK_ORDER: Readonly<Record<RetentionRisk, number>> = { none: 0, 'at-risk': 1, lost: 2 };

/**
 * A lagging partition whose committed offset is within this share of the retained log from
 * its start is at risk: retention deletes whole segments from the start, so the group's next
 * unread records are among the next ones deleted.
 */
const AT_RISK_SHARE = 0.1;

/** One partition's retention risk, its lost records and margin (committed - log start). */
function partitionRetention(p: {
  committedOffset: number;
  startOffset: number | null;
  endOffset: number | null;
  lag: number | null;
}): { risk: RetentionRisk; lost: number; margin: number | null } {
  if (p.startOffset === null) return { risk: 'none', lost: 0, margin: null };
  const margin = p.committedOffset - p.startOffset;
  if (margin < 0) return { risk: 'lost', lost: -margin, margin };
  if (!p.lag) return { risk: 'none', lost: 0, margin: null };
  const retained = (p.endOffset ?? p.startOffset) - p.startOffset;
  return { risk: margin < retained * AT_RISK_SHARE ? 'at-risk' : 'none', lost: 0, margin };
}

const sumOrNull = (values: (number | null)[]): number | null =>
  values.some((v) => v !== null) ? values.reduce<number>((s, v) => s + (v ?? 0), 0) : null;

function catchUp(lag: number, consumeRate: number | null, produceRate: number | null): number | null {
  if (lag === 0) return 0;
  if (consumeRate === null) return null;
  const net = consumeRate - (produceRate ?? 0);
  return net > 0 ? lag / net : null;
}

/** Per-topic and group figures from the group's partitions, in one pass over them. */
function rollUp(m: Memory, g: GroupLag, topics: ReadonlyMap<string, TopicSnapshot>): void {
  interface TopicAccumulator {
    topic: string;
    partitions: number;
    lag: number;
    lagSeconds: number | null;
    lagSecondsIsLowerBound: boolean;
    consumeRateSum: number;
    consumeRateKnown: boolean;
    status: Status;
    lost: number;
    margin: number | null;
    risk: RetentionRisk;
  }
  const byTopic = new Map<string, TopicAccumulator>();
  let acc: TopicAccumulator | undefined;
  let groupStatus: Status = 'OK';
  for (const p of g.partitions) {
    p.status = withinBudget(p.status, p.lagSeconds, m.o.lagBudgetSeconds);
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
          lost: 0,
          margin: null,
          risk: 'none',
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
    const r = partitionRetention(p);
    acc.lost += r.lost;
    if (r.margin !== null && (acc.margin === null || r.margin < acc.margin)) acc.margin = r.margin;
    if (RISK_ORDER[r.risk] > RISK_ORDER[acc.risk]) acc.risk = r.risk;
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
      recordsLostToRetention: t.lost,
      retentionMarginMessages: t.margin,
      retentionRisk: t.risk,
    });
  }
  g.topics = topicLags;
  g.lag = topicLags.reduce((s, t) => s + t.lag, 0);
  const seconds = topicLags.map((t) => t.lagSeconds).filter((s): s is number => s !== null);
  g.lagSeconds = seconds.length > 0 ? Math.max(...seconds) : null;
  g.lagSecondsIsLowerBound = topicLags.some((t) => t.lagSecondsIsLowerBound);
  g.consumeRate = sumOrNull(topicLags.map((t) => t.consumeRate));
  g.status = groupStatus;
  g.recordsLostToRetention = topicLags.reduce((s, t) => s + t.recordsLostToRetention, 0);
  g.retentionRisk = topicLags.reduce<RetentionRisk>(
    (worst, t) => (RISK_ORDER[t.retentionRisk] > RISK_ORDER[worst] ? t.retentionRisk : worst),
    'none',
  );
  const catchUps = topicLags.map((t) => t.timeToCatchUpSeconds);
  g.timeToCatchUpSeconds =
    g.lag === 0 ? 0 : catchUps.some((c) => c === null) ? null : Math.max(0, ...(catchUps as number[]));
}

/**
 * Lag history of a group or of one of its topics: the last `max` points, oldest first, as a ring
 * of (time, lag, lagSeconds) in one array of doubles (NaN: lagSeconds unknown) rather than an
 * object per point. Filled by push, then copied once to its exact size and written in place.
 */
export class LagHistory {
  #buffer: number[] = [];
  /** Points pushed so far. */
  #end = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = Math.max(0, max);
  }

  push(time: number, lag: number, lagSeconds: number | null): void {
    if (this.#max === 0) return;
    const i = (this.#end % this.#max) * 3;
    if (this.#end < this.#max) {
      this.#buffer.push(time, lag, lagSeconds ?? NaN);
      if (this.#end === this.#max - 1) this.#buffer = this.#buffer.slice();
    } else {
      this.#buffer[i] = time;
      this.#buffer[i + 1] = lag;
      this.#buffer[i + 2] = lagSeconds ?? NaN;
    }
    this.#end++;
  }

  /** The points, oldest first. */
  points(): LagPoint[] {
    const n = Math.min(this.#end, this.#max);
    const out = new Array<LagPoint>(n);
    for (let k = 0; k < n; k++) {
      const i = ((this.#end - n + k) % this.#max) * 3;
      const seconds = this.#buffer[i + 2] as number;
      out[k] = {
        time: this.#buffer[i] as number,
        lag: this.#buffer[i + 1] as number,
        lagSeconds: Number.isNaN(seconds) ? null : seconds,
      };
    }
    return out;
  }
}

function recordHistory(m: Memory, g: GroupLag, now: number): void {
  const max = m.o.historyPoints;
  const h = m.history.get(g.group) ?? { total: new LagHistory(max), topics: new Map<string, LagHistory>() };
  if (g.error === null) {
    h.total.push(now, g.lag, g.lagSeconds);
    const current = new Set<string>();
    for (const t of g.topics) {
      current.add(t.topic);
      const list = h.topics.get(t.topic) ?? new LagHistory(max);
      list.push(now, t.lag, t.lagSeconds);
      h.topics.set(t.topic, list);
    }
    for (const t of h.topics.keys()) if (!current.has(t)) h.topics.delete(t);
  }
  m.history.set(g.group, h);
}

/** 6. Group and topic roll-ups, rebalances, history; forgets groups gone this cycle. */
export function rollUpPhase(m: Memory, cy: Cycle): void {
  for (const g of cy.groups.values()) {
    if (g.error === null) rollUp(m, g, cy.topics);
    g.rebalanceCount = m.rebalanceCounts.get(g.group) ?? 0;
    const events = m.rebalances.get(g.group);
    g.lastRebalance = m.openRebalances.get(g.group) ?? events?.[events.length - 1] ?? null;
    recordHistory(m, g, cy.now);
  }
  for (const g of m.history.keys()) if (!cy.groups.has(g)) m.history.delete(g);
  for (const g of m.rebalances.keys()) {
    if (!cy.groups.has(g)) {
      m.rebalances.delete(g);
      m.rebalanceCounts.delete(g);
    }
  }
}
