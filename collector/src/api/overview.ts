/**
 * GET /api/overview: the at-a-glance answers of the overview page in one call. Reads the
 * last Kafka snapshot, the DLQ state, the store and short in-memory series kept from the
 * live bus (throughput per poll, end-to-end latencies of ended sagas). Never calls Kafka.
 * Saga outcomes are counted by the store with the saga list's own filter, never from the
 * live bus: a tile and the list it opens agree, also after a saga's outcome changed late.
 * `?cluster=` picks the Kafka cluster of the throughput, the worst groups and the DLQs
 * (default: the primary).
 */
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { toSummary } from '../lag/routes.ts';
import { ErrorSchema } from '../lag/schemas.ts';
import type { GroupLag, Status } from '../lag/index.ts';
import { OverviewQuerySchema, OverviewSchema, type Overview } from './schemas.ts';

/** Series older than this are dropped. */
const KEEP_MS = 6 * 3600 * 1000;
const LATENCY_BUCKET_MS = 10_000;
/** Latencies kept per bucket (a uniform reservoir sample beyond that). */
const RESERVOIR = 256;
/** Counting audit findings stops here ("1000+" in the UI). */
const COUNT_CAP = 1000;

interface LatencyBucket {
  time: number;
  seen: number;
  values: number[];
}

const SEVERITY: Record<Status, number> = { ERR: 5, STOP: 4, STALL: 3, REWIND: 2, WARN: 1, OK: 0 };

function worstFirst(a: GroupLag, b: GroupLag): number {
  return SEVERITY[b.status] - SEVERITY[a.status] || (b.lagSeconds ?? 0) - (a.lagSeconds ?? 0) || b.lag - a.lag;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? null;
}

export const overviewPlugin = fp(
  (app, _opts, done) => {
    /** Per cluster (by its config name). */
    const throughputs = new Map<string, { time: number; recordsPerSecond: number }[]>();
    const latency: LatencyBucket[] = [];
    const prune = (now: number): void => {
      for (const throughput of throughputs.values()) {
        while (throughput.length > 0 && (throughput[0]?.time ?? now) < now - KEEP_MS) throughput.shift();
      }
      while (latency.length > 0 && (latency[0]?.time ?? now) < now - KEEP_MS) latency.shift();
    };

    app.live.on('snapshot', ({ at, cluster }) => {
      const snapshot = app.clusters.get(cluster)?.monitor.snapshot;
      if (!snapshot) return;
      let sum = 0;
      for (const t of snapshot.topics.values()) {
        if (t.topic.startsWith('__') || app.dlqs.isDlq(t.topic)) continue;
        sum += t.recordsInPerSecond ?? 0;
      }
      const throughput = throughputs.get(cluster) ?? [];
      throughputs.set(cluster, throughput);
      throughput.push({ time: at, recordsPerSecond: sum });
      prune(at);
    });

    app.live.on('sagaEnded', ({ at, endToEndMs }) => {
      const time = Math.floor(at / LATENCY_BUCKET_MS) * LATENCY_BUCKET_MS;
      let bucket = latency[latency.length - 1];
      if (!bucket || bucket.time !== time) {
        bucket = { time, seen: 0, values: [] };
        latency.push(bucket);
        prune(at);
      }
      if (endToEndMs === null) return;
      bucket.seen += 1;
      if (bucket.values.length < RESERVOIR) {
        bucket.values.push(endToEndMs);
      } else {
        const slot = Math.floor(Math.random() * bucket.seen);
        if (slot < RESERVOIR) bucket.values[slot] = endToEndMs;
      }
    });

    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    api.get(
      '/api/overview',
      {
        schema: {
          tags: ['overview'],
          summary:
            'Throughput, end-to-end latency percentiles, saga outcomes, worst groups, DLQs, audit counts, setup facts',
          querystring: OverviewQuerySchema,
          response: { 200: OverviewSchema, 400: ErrorSchema, 404: ErrorSchema },
        },
      },
      async (req): Promise<Overview> => {
        const rangeSeconds = req.query.rangeSeconds ?? 900;
        const now = Date.now();
        const since = now - rangeSeconds * 1000;
        const cluster = app.cluster(req.query.cluster);
        const snapshot = cluster.monitor.snapshot;
        const buckets = latency.filter((b) => b.time >= since - LATENCY_BUCKET_MS);
        // Sagas started in the range by current status: what GET /api/sagas?status=<s>&from=<since>
        // lists (the dashboard's links from these figures), counted by the same store query.
        const stuckAfterUs = app.config.stuckAfterMs * 1000;
        const [sagaOutcomes, duplicates, unaccounted, stats] = await Promise.all([
          app.store.sagaCounts({ fromUs: since * 1000, nowUs: now * 1000, stuckAfterUs }),
          app.store.duplicates(COUNT_CAP),
          app.store.unaccounted(COUNT_CAP, 'skipped'),
          app.store.stats(),
        ]);
        const groups = snapshot ? [...snapshot.groups.values()].sort(worstFirst).slice(0, 10) : [];
        return {
          cluster: cluster.name,
          snapshotTime: snapshot?.time ?? null,
          rangeSeconds,
          throughput: (throughputs.get(cluster.name) ?? []).filter((p) => p.time >= since),
          latency: buckets
            .filter((b) => b.values.length > 0)
            .map((b) => {
              const sorted = [...b.values].sort((x, y) => x - y);
              return {
                time: b.time,
                p50Ms: percentile(sorted, 50),
                p95Ms: percentile(sorted, 95),
                p99Ms: percentile(sorted, 99),
              };
            }),
          sagaOutcomes,
          worstGroups: groups.map((g) => toSummary(g, cluster.name)),
          // Masked like GET /api/dlqs: groups and error classes come from dlq-* headers (maskHeaders).
          dlqs: app
            .dlqCluster(cluster.name)
            .service.list()
            .map(({ latest: _latest, ...rest }) => app.masking.dlqSummary(rest)),
          duplicates: duplicates.length,
          unaccounted: unaccounted.length,
          setup: {
            hopsStored: stats.rows.publishes + stats.rows.deliveries,
            lastSpanAt: stats.lastHopIngestS === null ? null : stats.lastHopIngestS * 1000,
            // 0 means "a free port" (otlpPort) or "off" (otlpGrpcPort): no port to name either way.
            otlpHttpPort: app.config.otlpPort === 0 ? null : app.config.otlpPort,
            otlpGrpcPort: app.config.otlpGrpcPort === 0 ? null : app.config.otlpGrpcPort,
            dlqPattern: app.config.dlqPattern,
          },
        };
      },
    );
    done();
  },
  { name: 'overview', dependencies: ['live', 'store', 'lag', 'dlq'] },
);
