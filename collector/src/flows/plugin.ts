/**
 * The flows capability: consumes the intake queue (spans -> hops -> store), keeps the flow
 * metrics (queue/processing time per hop, end-to-end latency and outcomes per saga,
 * duplicates, unaccounted records), runs the loss audit and the stuck-saga sweep in the
 * background, and serves the flows API.
 */
import fp from 'fastify-plugin';
import { Counter, Histogram } from 'prom-client';
import type { Delivery, IngestBatch, IngestResult, Publish } from '../store/types.ts';
import type { SpanData } from '../traces/span.ts';
import { AuditMemory, auditOnce, type AuditResult } from './audit.ts';
import { FlowMap } from './flow-map.ts';
import { getOrAdd } from '../lib/safe-map.ts';
import { terminalTypesMap } from '../config.ts';
import { compileRules, spanHops, type FlowRules } from './hops.ts';
import { flowRoutes } from './routes.ts';

export interface FlowsPluginOptions {
  /** Saga rules (default: config sagaTerminalTypes and sagaCompensationTypes). */
  rules?: FlowRules;
  /** Start the background audit and stuck sweep (default true). */
  background?: boolean;
  /** Interval of the audit and the stuck sweep (default: the lag poll interval). */
  auditIntervalMs?: number;
  /** A record passed without a delivery counts as unaccounted only this long after it was seen (default: config auditGraceMs). */
  auditGraceMs?: number;
}

export interface FlowsService {
  /** Spans -> hops -> store, with metrics: the intake queue's consumer. */
  ingest(spans: SpanData[]): Promise<void>;
  /** One audit run now (the background loop; tests pass shorter periods): new findings and decisions. */
  audit(options?: { graceMs?: number; decideMs?: number; groupEndMs?: number }): Promise<AuditResult>;
  /** Reports sagas that became stuck since the last sweep; returns how many. */
  sweepStuck(): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    flows: FlowsService;
  }
}

/** What the intake queue holds for the flows: one publish or delivery per messaging span. */
type Hop = Publish | Delivery;

// Hop and saga latencies span sub-millisecond hops to minutes-long sagas.
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export const flowsPlugin = fp<FlowsPluginOptions>(
  (app, opts, done) => {
    const rules = compileRules(
      opts.rules ?? {
        terminalTypes: terminalTypesMap(app.config.sagaTerminalTypes),
        compensationTypes: app.config.sagaCompensationTypes,
        envelopeHeaders: {
          eventId: app.config.envelopeEventIdHeaders,
          eventType: app.config.envelopeEventTypeHeaders,
          correlationId: app.config.envelopeCorrelationIdHeaders,
          causationId: app.config.envelopeCausationIdHeaders,
        },
      },
    );
    const registers = [app.metrics];
    const m = {
      e2e: new Histogram({
        name: 'eventscope_saga_end_to_end_seconds',
        help: 'Saga end-to-end latency: first publish to the terminal event processed.',
        labelNames: ['saga_type', 'outcome'],
        buckets: BUCKETS,
        registers,
      }),
      queue: new Histogram({
        name: 'eventscope_hop_queue_seconds',
        help: 'Time a record waited in its topic: delivery start - publish.',
        labelNames: ['topic', 'group'],
        buckets: BUCKETS,
        registers,
      }),
      processing: new Histogram({
        name: 'eventscope_hop_processing_seconds',
        help: 'Time a group spent processing a record (consumer process span duration).',
        labelNames: ['topic', 'group'],
        buckets: BUCKETS,
        registers,
      }),
      outcomes: new Counter({
        name: 'eventscope_saga_outcomes_total',
        help: 'Sagas that ended (completed, compensated, failed) or became stuck; a saga whose outcome changed later counts under both (see eventscope_saga_outcome_changes_total).',
        labelNames: ['saga_type', 'outcome'],
        registers,
      }),
      changes: new Counter({
        name: 'eventscope_saga_outcome_changes_total',
        help: 'Ended sagas whose outcome changed later (failed, then compensated): subtract from the `from` outcome of eventscope_saga_outcomes_total for sagas by current outcome.',
        labelNames: ['saga_type', 'from', 'to'],
        registers,
      }),
      duplicates: new Counter({
        name: 'eventscope_duplicates_total',
        help: 'Deliveries beyond the first processed one of one event id by one group.',
        labelNames: ['group'],
        registers,
      }),
      unaccounted: new Counter({
        name: 'eventscope_unaccounted_total',
        help: 'Records the loss audit found skipped: a group committed past them with no delivery, no DLQ entry and evidence that it did not process them (loss).',
        labelNames: ['group', 'topic'],
        registers,
      }),
      telemetryMissing: new Counter({
        name: 'eventscope_telemetry_missing_total',
        help: 'Records a group processed whose delivery span never came in time (evidence: an event they caused, a late span): lost telemetry, not loss.',
        labelNames: ['group', 'service'],
        registers,
      }),
      auditUnknown: new Counter({
        name: 'eventscope_audit_unknown_total',
        help: 'Loss audit findings closed without evidence either way (a group whose records cause no events, a group that ended).',
        labelNames: ['group', 'reason'],
        registers,
      }),
      ignored: new Counter({
        name: 'eventscope_spans_ignored_total',
        help: 'Accepted spans that describe no messaging hop (not stored).',
        registers,
      }),
    };
    // Each hop's two histogram children, found once per (topic, group): prom-client would hash
    // the label object on every observe (~1.5 us a span, figure 2).
    type HopSeries = Record<'queue' | 'processing', Histogram.Internal<'topic' | 'group'>>;
    const hopChildren = new Map<string, Map<string, HopSeries>>();
    const addHopSeries = (topic: string, group: string): HopSeries =>
      getOrAdd(
        getOrAdd(hopChildren, topic, () => new Map<string, HopSeries>()),
        group,
        () => ({
          queue: m.queue.labels({ topic, group }),
          processing: m.processing.labels({ topic, group }),
        }),
      );
    // The found case without closures: it runs for every delivery.
    const hopSeries = (topic: string, group: string): HopSeries =>
      hopChildren.get(topic)?.get(group) ?? addHopSeries(topic, group);
    const stuckAfterUs = app.config.stuckAfterMs * 1000;
    const graceUs = (opts.auditGraceMs ?? app.config.auditGraceMs) * 1000;
    const auditMemory = new AuditMemory();
    /** Audit runs one at a time (the background loop and callers share the memory and the open findings). */
    let auditRuns: Promise<unknown> = Promise.resolve();

    const flowMap = new FlowMap();
    const countEnded = (ended: IngestResult['sagasEnded']): void => {
      for (const s of ended) {
        m.outcomes.inc({ saga_type: s.sagaType, outcome: s.outcome });
        if (s.endToEndUs !== null) m.e2e.observe({ saga_type: s.sagaType, outcome: s.outcome }, s.endToEndUs / 1e6);
      }
    };
    /** A reported end whose outcome changed: counted under the new outcome, and as a change from the old. */
    const countChanged = (changed: IngestResult['sagasChanged']): void => {
      for (const s of changed) {
        m.outcomes.inc({ saga_type: s.sagaType, outcome: s.to });
        m.changes.inc({ saga_type: s.sagaType, from: s.from, to: s.to });
      }
    };
    /** Feeds the overview's series (not relayed over SSE). */
    const emitEnded = (ended: IngestResult['sagasEnded']): void => {
      for (const s of ended) {
        app.live.emit('sagaEnded', {
          at: Date.now(),
          correlationId: s.correlationId,
          sagaType: s.sagaType,
          outcome: s.outcome,
          endToEndMs: s.endToEndUs === null ? null : s.endToEndUs / 1000,
        });
      }
    };
    /** Spans -> the hops they describe (the intake queue's prepare step: runs as spans are accepted). */
    const toHops = (spans: SpanData[]): Hop[] => {
      const hops: Hop[] = [];
      let ignored = 0;
      for (const span of spans) {
        const described = spanHops(span, rules);
        if (described.length === 0) ignored++;
        for (const h of described) hops.push(h);
      }
      if (ignored > 0) m.ignored.inc(ignored);
      return hops;
    };
    /** Hops -> store, flow map, metrics and live views. */
    const storeHops = async (hops: Hop[]): Promise<void> => {
      const batch: IngestBatch = { publishes: [], deliveries: [], records: [] };
      for (const h of hops) {
        if ('group' in h) batch.deliveries.push(h);
        else batch.publishes.push(h);
      }
      if (batch.publishes.length === 0 && batch.deliveries.length === 0) return;
      const res = await app.store.ingest(batch);
      const nowMs = Date.now();
      for (const p of batch.publishes) {
        flowMap.publish(p.service, p.topic, p.timeUs / 1000, (p.endUs - p.timeUs) / 1000, nowMs);
      }
      for (const d of batch.deliveries) {
        const error = d.outcome === 'failed' || d.outcome === 'dead_lettered';
        flowMap.delivery(d.topic, d.service, d.group, d.startUs / 1000, error, nowMs);
      }
      for (const t of res.hopTimings) {
        flowMap.queueTime(t.topic, t.service, t.group, t.queueUs / 1000, nowMs);
        const series = hopSeries(t.topic, t.group);
        series.queue.observe(t.queueUs / 1e6);
        series.processing.observe(t.processingUs / 1e6);
      }
      for (const d of res.duplicates) m.duplicates.inc({ group: d.group });
      countEnded(res.sagasEnded);
      countChanged(res.sagasChanged);
      // Live views (GET /api/stream) refetch the sagas that changed; the bus coalesces bursts.
      const status = new Map<string, string>();
      for (const hopList of [batch.publishes, batch.deliveries]) {
        for (const h of hopList) if (h.correlationId !== null) status.set(h.correlationId, 'in_flight');
      }
      for (const s of res.sagasEnded) status.set(s.correlationId, s.outcome);
      for (const s of res.sagasChanged) status.set(s.correlationId, s.to);
      for (const [correlationId, st] of status) app.live.emit('saga', { correlationId, status: st });
      emitEnded(res.sagasEnded);
    };
    const service: FlowsService = {
      ingest: (spans) => storeHops(toHops(spans)),
      audit(options = {}) {
        const run = auditRuns.then(async () => {
          // Each group judged on its own cluster's offsets (flows/clusters.ts); nothing before a first snapshot.
          const clusters = [...app.clusters.values()];
          if (clusters.every((k) => k.offsets.snapshotTime() === undefined)) {
            return { found: [], decided: [], withdrawn: [] };
          }
          const result = await auditOnce(app.store, clusters, auditMemory, {
            nowUs: Date.now() * 1000,
            graceUs: options.graceMs !== undefined ? options.graceMs * 1000 : graceUs,
            decideUs: (options.decideMs ?? app.config.auditDecideMs) * 1000,
            groupEndUs: (options.groupEndMs ?? app.config.auditGroupEndMs) * 1000,
          });
          // Counted once, when decided: only `skipped` is loss.
          for (const u of result.decided) {
            if (u.class === 'skipped') m.unaccounted.inc({ group: u.group, topic: u.topic });
            else if (u.class === 'telemetry-missing') {
              m.telemetryMissing.inc({ group: u.group, service: u.service ?? 'unknown' });
            } else m.auditUnknown.inc({ group: u.group, reason: u.reason });
          }
          return result;
        });
        auditRuns = run.catch(() => undefined);
        return run;
      },
      async sweepStuck() {
        // Ends held back for a root publish that has not come within the audit grace: report them now.
        const held = await app.store.takeHeldEnds(Date.now() * 1000 - graceUs, 10_000);
        countEnded(held);
        for (const s of held) app.live.emit('saga', { correlationId: s.correlationId, status: s.outcome });
        emitEnded(held);
        const stuck = await app.store.takeNewlyStuck(Date.now() * 1000 - stuckAfterUs, 10_000);
        for (const s of stuck) {
          m.outcomes.inc({ saga_type: s.sagaType ?? 'unknown', outcome: 'stuck' });
          app.live.emit('saga', { correlationId: s.correlationId, status: 'stuck' });
          app.live.emit('sagaEnded', {
            at: Date.now(),
            correlationId: s.correlationId,
            sagaType: s.sagaType ?? 'unknown',
            outcome: 'stuck',
            endToEndMs: null,
          });
        }
        return stuck.length;
      },
    };
    app.decorate('flows', service);
    app.intake.setConsumer(storeHops, toHops);
    flowRoutes(app, app.config.stuckAfterMs, flowMap);

    if (opts.background ?? true) {
      let running = false;
      const tick = async (): Promise<void> => {
        if (running) return;
        running = true;
        try {
          await service.audit();
          await service.sweepStuck();
        } catch (err) {
          app.log.error({ err }, 'flows audit failed');
        } finally {
          running = false;
        }
      };
      const timer = setInterval(() => void tick(), opts.auditIntervalMs ?? app.config.pollIntervalMs);
      timer.unref();
      app.addHook('onClose', (_app, hookDone) => {
        clearInterval(timer);
        hookDone();
      });
    }
    done();
  },
  { name: 'flows', dependencies: ['store', 'traces', 'metrics', 'live', 'lag'] },
);
